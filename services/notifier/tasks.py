"""Celery entry points of the notifier: thin wrappers around flows, owning retries and acks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from celery import Task, shared_task

from services.desk.config import desk_config
from services.notifier import digests, flows, followup_flows
from services.notifier.breaker import breaker_for
from services.notifier.ratelimit import limiter_for
from shared import task_names
from shared.celery_app import queue_depth, settings_of
from shared.models import utcnow
from shared.runtime import runtime


@shared_task(name=task_names.DELIVER, bind=True, max_retries=None)
def deliver(self: Task, delivery_id: int) -> str:
    """Send one delivery; retry transient failures later, never send a sent one again.

    A retry within `retry_countdown_max_s` is a countdown message. A longer one is left to
    `notifier.sweep_pending` (the delivery is pending with its due_at): Redis hands a countdown
    message out again after its visibility timeout, so long countdowns would run twice.
    """
    settings = settings_of(self.app)
    outcome = flows.deliver(
        runtime(settings).sessions,
        settings,
        delivery_id,
        limiter=limiter_for(settings.effective_redis_url),
        breaker=breaker_for(
            settings.effective_redis_url,
            threshold=settings.breaker_threshold,
            probe_s=settings.breaker_probe_s,
        ),
    )
    if outcome.released:  # the channel is back: what waited for it goes now, not at its due_at
        _enqueue(self, outcome.released)
    if outcome.retry_in is not None and outcome.retry_in <= settings.retry_countdown_max_s:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=task_names.SWEEP_DELIVERIES, bind=True)
def sweep_pending(self: Task) -> int:
    """Re-enqueue deliveries whose task was lost or never scheduled (long retries)."""
    settings = settings_of(self.app)
    backlog = queue_depth(self.app, task_names.NOTIFIER_QUEUE)
    ids = flows.sweep(runtime(settings).sessions, settings, now=utcnow(), backlog=backlog)
    _enqueue(self, ids)
    return len(ids)


@shared_task(name=task_names.PLAN_DIGESTS, bind=True)
def plan_digests(self: Task) -> int:
    """Store the digests due now (each once) and send each stored row to `send_digest`."""
    settings = settings_of(self.app)
    ids = digests.plan(
        runtime(settings).sessions, desk_config(settings.desk_file), now=utcnow(),
        grace=timedelta(seconds=settings.sweep_grace_s),
    )  # fmt: skip
    _enqueue(self, ids, task_names.SEND_DIGEST)
    return len(ids)


@shared_task(name=task_names.SEND_DIGEST, bind=True, max_retries=None)
def send_digest(self: Task, send_id: int) -> str:
    """Build and send one digest row; a sent or claimed row is left alone."""
    settings = settings_of(self.app)
    outcome = digests.send(
        runtime(settings).sessions, settings, desk_config(settings.desk_file), send_id,
        now=utcnow(),
    )  # fmt: skip
    if outcome.retry_in is not None and outcome.retry_in <= settings.retry_countdown_max_s:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=task_names.SEND_FOLLOW_UP, bind=True)
def send_follow_up(self: Task, follow_up_id: int) -> str:
    """Ask one customer "did we fix it?"; a redelivered task finds it sent and does nothing."""
    settings = settings_of(self.app)
    return followup_flows.send(runtime(settings).sessions, settings, follow_up_id, now=utcnow())


@shared_task(name=task_names.SWEEP_FOLLOW_UPS, bind=True)
def sweep_follow_ups(self: Task) -> int:
    """Enqueue the follow-ups that are due, and the retries of failed attempts."""
    settings = settings_of(self.app)
    ids = followup_flows.sweep(runtime(settings).sessions, now=utcnow())
    _enqueue(self, ids, task_names.SEND_FOLLOW_UP)
    return len(ids)


def _enqueue(task: Task, ids: Sequence[int], name: str = task_names.DELIVER) -> None:
    """Send one task per id (deliveries by default) over one producer."""
    if not ids:
        return
    with task.app.producer_or_acquire() as producer:
        for row_id in ids:
            task.app.send_task(name, args=[row_id], producer=producer)
