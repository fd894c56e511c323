"""Celery entry points of the router: thin wrappers that own transactions, retries and sends."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from celery import Celery, Task, shared_task
from sqlalchemy.exc import OperationalError

from services.router import batch, model_service, reroute, responses
from services.router.config import ConfigError, RouterConfig, load_config
from services.router.decision import detector_for
from services.router.incidents import FlushDue
from services.router.learning import Detector
from shared import task_names
from shared.batches import BatchTask, SimpleRequest
from shared.broker import BROKER_ERRORS, named_ids, send_ids, send_ids_together
from shared.celery_app import queue_depth, settings_of
from shared.db import transaction
from shared.models import TouchpointCorrection, utcnow
from shared.reload import ReloadOnChange
from shared.runtime import runtime
from shared.sla import DeskConfigError, SlaRules, sla_rules

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
SWEEP_TRICKLE = 10  # overdue responses re-sent per sweep while the queue has a backlog
_routes = ReloadOnChange(load_config)


def current_config(path: Path) -> tuple[RouterConfig, Detector]:
    """Return the routing config, reloaded when the file changes; a broken edit keeps the last."""
    try:
        config = _routes(path)
    except (OSError, ConfigError) as exc:
        last = _routes.last_good(path)
        if last is None:
            raise
        log.error("routing file unusable; keeping the last good one", extra={"error": str(exc)})
        config = last
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


@shared_task(name=task_names.PROCESS_RESPONSE, base=BatchTask, bind=True)
def process_response(self: Task, requests: Sequence[SimpleRequest]) -> int:
    """Route a batch of stored responses (a message names one, or a list from ingest's group
    commit), `router_batch_size` to a transaction; after each, ask the notifier to alert their
    cases' owners in one message. `batch.route_batch` says how a failure is contained; a
    response it could not route is left to `router.sweep_unrouted`."""
    settings = settings_of(self.app)
    config, detector = current_config(settings.routes_file)
    sessions = runtime(settings).sessions
    detector = _active_model(settings.learn_refresh_s).detector(sessions, config, detector)
    sla = current_sla(settings.desk_file)
    until = time.monotonic() + 0.9 * settings.task_soft_time_limit_s
    ids = [int(i) for request in requests for i in named_ids(request.args[0])]
    size, sent, failed = settings.router_batch_size, 0, 0
    for start in range(0, len(ids), size):
        routed = batch.route_batch(
            sessions, ids[start : start + size], config=config, detector=detector, sla=sla,
            until=until,
        )  # fmt: skip
        _schedule_flushes(self.app, routed.flushes, limit=settings.retry_countdown_max_s)
        # One message for the alerts: the notifier receives and acknowledges it once.
        sent += len(send_ids_together(self.app, task_names.DELIVER, routed.delivery_ids))
        failed += len(routed.failed)
    log.info("routed a batch of %d responses (%d left to the sweep); %d alerts sent",
             len(ids), failed, sent)  # fmt: skip
    return sent


def _schedule_flushes(app: Celery, flushes: Sequence[FlushDue], *, limit: float) -> None:
    """Send each incident's flush to run when its alert is due (the notifier's queue, which a
    burst of responses does not fill). One further off than a countdown may safely wait is
    left to `notifier.sweep_incidents`, as is any a broker outage kept from being sent."""
    try:
        with app.producer_or_acquire() as producer:
            for due in flushes:
                wait = max(0.0, (due.due_at - utcnow()).total_seconds())
                if wait <= limit:
                    app.send_task(task_names.FLUSH_INCIDENT, args=[due.incident_id],
                                  countdown=wait, producer=producer)  # fmt: skip
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable; the incident sweep will flush", extra={"error": str(exc)})


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
        correction = session.get(TouchpointCorrection, correction_id)
        case_ids = [correction.case_id] if correction is not None else []
    sent = len(send_ids(self.app, task_names.DELIVER, delivery_ids))
    send_ids(self.app, task_names.REFRESH_ALERTS, case_ids)  # posted Slack alerts show the move
    return sent


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
    return len(send_ids(self.app, task_names.REROUTE_CASE, ids))


@shared_task(name=task_names.SWEEP_UNROUTED, bind=True)
def sweep_unrouted(self: Task) -> int:
    """Re-enqueue responses that were stored but never routed (broker down, task lost).

    While the router's queue has a backlog, only a trickle of overdue responses is re-sent:
    the rest are most likely still waiting in that queue.
    """
    settings = settings_of(self.app)
    backlog = queue_depth(self.app, task_names.ROUTER_QUEUE)
    with transaction(runtime(settings).sessions) as session:
        ids = responses.unrouted_responses(
            session, now=utcnow(), grace=timedelta(seconds=settings.sweep_grace_s),
            limit=SWEEP_BATCH, overdue_limit=SWEEP_TRICKLE if backlog else SWEEP_BATCH,
        )  # fmt: skip
    if ids:
        log.info("re-enqueueing unrouted responses", extra={"count": len(ids), "backlog": backlog})
    return len(send_ids(self.app, task_names.PROCESS_RESPONSE, ids))


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
