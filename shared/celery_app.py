"""The Celery app factory every service uses, with the reliability settings in one place.

Why these settings: a task is acknowledged only after it finished (`acks_late`) and is put back
when its pool child dies (`reject_on_worker_lost`). When a whole worker dies, Redis only restores
its unacked tasks after `visibility_timeout`; the periodic sweeps re-enqueue stored-but-unfinished
work well before that, and every task is idempotent, so the late restore is a harmless repeat.
The hard time limit stays below the visibility timeout so a running task is never handed out twice.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from shared import task_names
from shared.settings import Settings


def broker_url(settings: Settings) -> str:
    """Kombu URL for the configured broker (RabbitMQ or Redis) or the embedded Redis."""
    url = settings.effective_broker_url
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url


def create_celery(
    settings: Settings, *, name: str = "cxloop", include: list[str] | None = None
) -> Celery:
    """Build a Celery app configured from settings; `include` lists task modules to register."""
    app = Celery(name, broker=broker_url(settings), include=include or [])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=settings.task_soft_time_limit_s,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=task_names.ROUTER_QUEUE,
        task_queues=[
            Queue(task_names.ROUTER_QUEUE),
            Queue(task_names.NOTIFIER_QUEUE),
            Queue(task_names.INCIDENTS_QUEUE),
        ],
        task_routes=_route_by_prefix,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        beat_schedule={
            "sweep-unrouted": {
                "task": task_names.SWEEP_UNROUTED,
                "schedule": settings.sweep_interval_s,
            },
            "sweep-unfetched": {
                "task": task_names.SWEEP_UNFETCHED,
                "schedule": settings.sweep_interval_s,
            },
            "sweep-corrections": {
                "task": task_names.SWEEP_CORRECTIONS,
                "schedule": settings.sweep_interval_s,
            },
            "sweep-deliveries": {
                "task": task_names.SWEEP_DELIVERIES,
                "schedule": settings.sweep_interval_s,
            },
            "sweep-incidents": {
                "task": task_names.SWEEP_INCIDENTS,
                "schedule": settings.sweep_interval_s,
            },
            "sweep-follow-ups": {
                "task": task_names.SWEEP_FOLLOW_UPS,
                "schedule": settings.sweep_interval_s,
            },
            "retrain-touchpoints": {
                "task": task_names.RETRAIN_TOUCHPOINTS,
                "schedule": settings.learn_interval_s,
            },
            "check-sla": {
                "task": task_names.CHECK_SLA,
                "schedule": settings.escalation_interval_s,
            },
            "plan-digests": {
                "task": task_names.PLAN_DIGESTS,
                "schedule": settings.digest_interval_s,
            },
        },
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    app.conf.cxloop_settings = settings
    return app


def _route_by_prefix(
    name: str, args: object, kwargs: object, options: object, **_: object
) -> dict[str, str] | None:
    if name in task_names.QUEUE_BY_NAME:
        return {"queue": task_names.QUEUE_BY_NAME[name]}
    for prefix, queue in task_names.QUEUE_BY_PREFIX.items():
        if name.startswith(prefix):
            return {"queue": queue}
    return None


def queue_depth(app: Celery, queue: str) -> int:
    """Count the messages waiting in a queue with a passive declare (Redis and RabbitMQ alike).

    Unacknowledged and ETA messages held by workers are not counted. A queue with nothing in it
    does not exist on Redis, and the declare's channel error then means 0.
    """
    with app.connection_for_write() as conn:
        try:
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
        except conn.channel_errors:
            return 0


def settings_of(app: Celery) -> Settings:
    """Return the settings a Celery app was built with."""
    return app.conf.cxloop_settings
