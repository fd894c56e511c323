"""Celery entry points of the notifier: thin wrappers around flows, owning retries and acks."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from celery import Task, shared_task

from services.notifier import digests, flows, followup_flows, incidents, updates
from services.notifier.breaker import Breaker, breaker_for
from services.notifier.concurrency import send_pool
from services.notifier.ratelimit import limiter_for
from shared import metrics, task_names
from shared.batches import BatchTask, SimpleRequest
from shared.broker import BROKER_ERRORS, named_ids, send_ids
from shared.celery_app import queue_depth, settings_of
from shared.db import transaction
from shared.models import utcnow
from shared.runtime import runtime
from shared.settings import Settings

log = logging.getLogger(__name__)
REFRESH_RETRIES = 5  # an update is a nicety: the case page stays the truth if Slack is down


@shared_task(name=task_names.DELIVER, base=BatchTask, bind=True)
def deliver(self: Task, requests: Sequence[SimpleRequest]) -> int:
    """Send a batch of deliveries in two transactions; return how many went out. A message names
    one delivery, or a list of them (a router batch's). A retry is sent on as `deliver_later`,
    with its countdown (see there).

    An unexpected error is raised once every other delivery of the batch is recorded and its
    retry sent: the task fails loudly, and the sweep takes that delivery up again.
    """
    settings = settings_of(self.app)
    wanted: dict[int, bool] = {}
    queues: dict[int, str | None] = {}
    for request in requests:
        named = named_ids(request.args[0])
        booked = bool(request.kwargs.get("booked", False))
        for delivery_id in map(int, named):
            wanted[delivery_id] = wanted.get(delivery_id, False) or booked
            queues[delivery_id] = (request.delivery_info or {}).get("routing_key")
    outcomes = flows.deliver_many(
        runtime(settings).sessions,
        settings,
        wanted,
        limiter=limiter_for(settings.effective_redis_url),
        breaker=_breaker(settings),
        pool=send_pool(settings.notifier_concurrency),
    )
    _enqueue(self, [i for outcome in outcomes.values() for i in outcome.released])
    _retry_later(self, outcomes, queues, limit=settings.retry_countdown_max_s)
    errors = [outcome.error for outcome in outcomes.values() if outcome.error is not None]
    if errors:
        raise errors[0]
    return sum(outcome.status == "sent" for outcome in outcomes.values())


def _retry_later(
    task: Task, outcomes: Mapping[int, flows.Outcome], queues: Mapping[int, str | None],
    *, limit: float,
) -> None:  # fmt: skip
    """Send `deliver_later` for each delivery to try again within `limit` seconds, to the queue
    its message came from; a longer wait, or a broker outage, is left to the sweep."""
    due = [(i, o) for i, o in outcomes.items() if o.error is None and o.retry_in is not None
           and o.retry_in <= limit]  # fmt: skip
    if not due:
        return
    try:
        with task.app.producer_or_acquire() as producer:
            for delivery_id, outcome in due:
                where = {"queue": queues[delivery_id]} if queues.get(delivery_id) else {}
                task.app.send_task(
                    task_names.DELIVER_LATER, args=[delivery_id],
                    kwargs={"booked": True} if outcome.booked else {},
                    countdown=outcome.retry_in, producer=producer, **where,
                )  # fmt: skip
                metrics.task_retried(task_names.DELIVER)
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable; the sweep will retry", extra={"error": str(exc)})


@shared_task(name=task_names.DELIVER_LATER, bind=True, max_retries=None)
def deliver_later(self: Task, delivery_id: int, booked: bool = False) -> str:
    """Try one delivery again; retry transient failures later, never send a sent one again.

    Retries are single tasks, not batches: a countdown message waits in the worker's timer
    without taking a prefetch slot from fresh deliveries (a batch's waiting messages would).
    A retry within `retry_countdown_max_s` is a countdown message. A longer one is left to
    `notifier.sweep_pending` (the delivery is pending with its due_at): Redis hands a countdown
    message out again after its visibility timeout, so long countdowns would run twice.
    `booked` says the rate limit gave this retry its send slot (lost if the sweep re-sends it:
    then it asks again, which can only send less, never more, than the limit).
    """
    settings = settings_of(self.app)
    outcome = flows.deliver(
        runtime(settings).sessions,
        settings,
        delivery_id,
        limiter=limiter_for(settings.effective_redis_url),
        booked=booked,
        breaker=_breaker(settings),
    )
    if outcome.released:  # the channel is back: what waited for it goes now, not at its due_at
        _enqueue(self, outcome.released)
    if outcome.retry_in is not None and outcome.retry_in <= settings.retry_countdown_max_s:
        kwargs = {"booked": True} if outcome.booked else {}
        raise self.retry(args=[delivery_id], kwargs=kwargs, countdown=outcome.retry_in)
    return outcome.status


def _breaker(settings: Settings) -> Breaker:
    return breaker_for(
        settings.effective_redis_url,
        threshold=settings.breaker_threshold,
        probe_s=settings.breaker_probe_s,
    )


@shared_task(name=task_names.REFRESH_ALERTS, bind=True, max_retries=REFRESH_RETRIES)
def refresh_alerts(self: Task, case_id: int) -> str:
    """Update a case's posted Slack alerts in place; a transient failure is tried again."""
    settings = settings_of(self.app)
    retry_in = updates.refresh(runtime(settings).sessions, settings, case_id)
    if retry_in is None:
        return "updated"
    if self.request.retries >= REFRESH_RETRIES:
        log.warning("gave up updating the Slack alerts of a case", extra={"case_id": case_id})
        return "gave up"
    raise self.retry(countdown=min(retry_in, settings.retry_countdown_max_s))


@shared_task(name=task_names.SWEEP_DELIVERIES, bind=True)
def sweep_pending(self: Task) -> int:
    """Re-enqueue deliveries whose task was lost or never scheduled (long retries)."""
    settings = settings_of(self.app)
    backlog = queue_depth(self.app, task_names.NOTIFIER_QUEUE)
    ids = flows.sweep(runtime(settings).sessions, settings, now=utcnow(), backlog=backlog)
    _enqueue(self, ids)
    return len(ids)


@shared_task(name=task_names.FLUSH_INCIDENT, bind=True, max_retries=None)
def flush_incident(self: Task, incident_id: int) -> str:
    """Send an incident's scheduled alert once it is due; a repeated task sends nothing."""
    settings = settings_of(self.app)
    with transaction(runtime(settings).sessions) as session:
        outcome = incidents.flush(session, incident_id=incident_id, now=utcnow())
    # Its deliveries go by the incidents queue too: a delivery backlog must not hold them.
    _enqueue(self, outcome.delivery_ids, queue=task_names.INCIDENTS_QUEUE)
    if outcome.retry_in is not None and outcome.retry_in <= settings.retry_countdown_max_s:
        raise self.retry(countdown=max(0.0, outcome.retry_in))
    return outcome.status


@shared_task(name=task_names.SWEEP_INCIDENTS, bind=True)
def sweep_incidents(self: Task) -> int:
    """Send the flush of every incident alert due before the next sweep, with a countdown to
    its time: alerts whose task was lost, alerts too far off for the router's countdown, and
    the repeat reminders of incidents still open after their repeat interval."""
    settings = settings_of(self.app)
    now = utcnow()
    horizon = min(settings.sweep_interval_s, settings.retry_countdown_max_s)
    with transaction(runtime(settings).sessions) as session:
        found = incidents.due(session, now=now, horizon=timedelta(seconds=horizon))
    with self.app.producer_or_acquire() as producer:
        for incident_id, at in found:
            wait = max(0.0, (at - now).total_seconds())
            self.app.send_task(task_names.FLUSH_INCIDENT, args=[incident_id], countdown=wait,
                               producer=producer)  # fmt: skip
    return len(found)


@shared_task(name=task_names.SEND_DIGEST, bind=True, max_retries=None)
def send_digest(self: Task, send_id: int) -> str:
    """Render and send one digest row the desk planned; a sent or claimed row is left alone."""
    settings = settings_of(self.app)
    outcome = digests.send(runtime(settings).sessions, settings, send_id, now=utcnow())
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


def _enqueue(
    task: Task, ids: Sequence[int], name: str = task_names.DELIVER, queue: str | None = None
) -> None:
    """Send one task per id (deliveries by default, to `queue` if given); see
    `shared.broker.send_ids`."""
    send_ids(task.app, name, ids, queue=queue)
