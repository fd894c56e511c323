"""Celery entry points of the router: thin wrappers that own transactions, retries and sends."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import kombu.exceptions
import redis.exceptions
from celery import Celery, Task, shared_task
from sqlalchemy.exc import OperationalError

from services.router import model_service, reroute, service
from services.router.config import ConfigError, RouterConfig, load_config
from services.router.decision import detector_for
from services.router.learning import Detector
from shared import task_names
from shared.celery_app import queue_depth, settings_of
from shared.db import transaction
from shared.models import utcnow
from shared.runtime import runtime
from shared.sla import DeskConfigError, SlaRules, sla_rules

log = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError)
SWEEP_BATCH = 500
SWEEP_TRICKLE = 10  # overdue responses re-sent per sweep while the queue has a backlog
_loaded: dict[Path, tuple[int, RouterConfig]] = {}


def current_config(path: Path) -> tuple[RouterConfig, Detector]:
    """Return the routing config, reloaded when the file changes; a broken edit keeps the last."""
    cached = _loaded.get(path)
    try:
        mtime = path.stat().st_mtime_ns
        if cached is None or cached[0] != mtime:
            _loaded[path] = (mtime, load_config(path))
    except (OSError, ConfigError) as exc:
        if cached is None:
            raise
        log.error("routing file unusable; keeping the last good one", extra={"error": str(exc)})
    config = _loaded[path][1]
    return config, detector_for(config)


def current_sla(path: Path) -> SlaRules:
    """Return desk.yml's SLA rules; without a usable file cases wait for the desk's stamp."""
    try:
        return sla_rules(path)
    except DeskConfigError as exc:
        log.error("desk file unusable; cases get deadlines later", extra={"error": str(exc)})
        return SlaRules()


@functools.cache
def _active_model(refresh_s: float) -> model_service.ActiveModel:
    """The process's one view of the active touchpoint model."""
    return model_service.ActiveModel(refresh_s)


@shared_task(
    name=task_names.PROCESS_RESPONSE, bind=True, autoretry_for=(OperationalError,),
    retry_backoff=2, retry_backoff_max=60, retry_jitter=True, max_retries=10,
)  # fmt: skip
def process_response(self: Task, response_id: int) -> int:
    """Route one stored response into a case, then ask the notifier to alert its owners."""
    settings = settings_of(self.app)
    config, detector = current_config(settings.routes_file)
    sessions = runtime(settings).sessions
    detector = _active_model(settings.learn_refresh_s).detector(sessions, config, detector)
    with transaction(sessions) as session:
        delivery_ids = service.route_stored(
            session, response_id=response_id, config=config, detector=detector, now=utcnow(),
            sla=current_sla(settings.desk_file),
        )  # fmt: skip
    return _send(self.app, task_names.DELIVER, delivery_ids)


@shared_task(
    name=task_names.REROUTE_CASE, bind=True, autoretry_for=(OperationalError,),
    retry_backoff=2, retry_backoff_max=60, retry_jitter=True, max_retries=10,
)  # fmt: skip
def reroute_case(self: Task, correction_id: int) -> int:
    """Move a corrected case to its new owner, then ask the notifier to tell old and new."""
    settings = settings_of(self.app)
    config, detector = current_config(settings.routes_file)
    with transaction(runtime(settings).sessions) as session:
        delivery_ids = reroute.apply_correction(
            session, correction_id=correction_id, config=config, detector=detector, now=utcnow()
        )
    return _send(self.app, task_names.DELIVER, delivery_ids)


@shared_task(name=task_names.SWEEP_CORRECTIONS, bind=True)
def sweep_corrections(self: Task) -> int:
    """Re-send corrections stored but not applied (broker down when the desk sent them, task lost).

    While the router's queue has a backlog only a trickle is re-sent, as for responses.
    """
    settings = settings_of(self.app)
    backlog = queue_depth(self.app, task_names.ROUTER_QUEUE)
    with transaction(runtime(settings).sessions) as session:
        ids = reroute.unapplied_corrections(
            session, now=utcnow(), grace=timedelta(seconds=settings.sweep_grace_s),
            limit=SWEEP_TRICKLE if backlog else SWEEP_BATCH,
        )  # fmt: skip
    if ids:
        log.info("re-sending unapplied corrections", extra={"count": len(ids), "backlog": backlog})
    return _send(self.app, task_names.REROUTE_CASE, ids)


@shared_task(name=task_names.SWEEP_UNROUTED, bind=True)
def sweep_unrouted(self: Task) -> int:
    """Re-enqueue responses that were stored but never routed (broker down, task lost).

    While the router's queue has a backlog, only a trickle of overdue responses is re-sent:
    the rest are most likely still waiting in that queue.
    """
    settings = settings_of(self.app)
    backlog = queue_depth(self.app, task_names.ROUTER_QUEUE)
    with transaction(runtime(settings).sessions) as session:
        ids = service.unrouted_responses(
            session, now=utcnow(), grace=timedelta(seconds=settings.sweep_grace_s),
            limit=SWEEP_BATCH, overdue_limit=SWEEP_TRICKLE if backlog else SWEEP_BATCH,
        )  # fmt: skip
    if ids:
        log.info("re-enqueueing unrouted responses", extra={"count": len(ids), "backlog": backlog})
    return _send(self.app, task_names.PROCESS_RESPONSE, ids)


@shared_task(name=task_names.RETRAIN_TOUCHPOINTS, bind=True)
def retrain_touchpoints(self: Task) -> int | None:
    """Train a touchpoint model version when enough corrections arrived; return its id."""
    settings = settings_of(self.app)
    config, detector = current_config(settings.routes_file)
    row = model_service.retrain(
        runtime(settings).sessions, config=config, detector=detector,
        min_new=settings.learn_min_new, now=utcnow(),
    )  # fmt: skip
    return row.id if row else None


def _send(app: Celery, name: str, ids: Sequence[int]) -> int:
    """Send one task per id over one pooled producer; on a broker error stop, the sweeps resend."""
    sent = 0
    try:
        with app.producer_or_acquire() as producer:
            for item in ids:
                app.send_task(name, args=[item], producer=producer)
                sent += 1
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; the sweep will send the rest",
            extra={"task": name, "unsent": len(ids) - sent, "error": str(exc)},
        )
    return sent
