"""One delivery attempt, start to finish: claim, pick the channel, send, record the outcome."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.notifier import admission, alert_content, incidents, service, setbacks
from services.notifier.admission import Claimed, Ready
from services.notifier.breaker import KEEP, RECLOSED, Breaker
from services.notifier.channels import (
    Route,
)
from services.notifier.concurrency import endpoint_slot
from services.notifier.message import Alert
from services.notifier.ratelimit import RateLimiter
from services.notifier.setbacks import Outcome
from shared import metrics
from shared.db import transaction, while_unavailable
from shared.enums import DeliveryKind
from shared.models import Delivery, utcnow
from shared.routes_file import RoutesFileError, touchpoint_names
from shared.secret_files import MissingSecretKey, secret_key
from shared.settings import Settings

log = logging.getLogger(__name__)
SWEEP_BATCH = 500
SWEEP_TRICKLE = 10  # pending deliveries re-sent per sweep while the queue has a backlog
RECORD_AFTER_S = 1.0  # a batch records the sends done by then together, later ones as they end


def _touchpoints(settings: Settings) -> tuple[str, ...]:
    """The routing file's touchpoints, for "Wrong touchpoint"; none if it cannot be read."""
    try:
        return touchpoint_names(settings.routes_file)
    except RoutesFileError:
        return ()


def _link_secret(settings: Settings) -> str:
    """The desk's secret key, which signs email action links; without one, no links."""
    try:
        return secret_key(settings)
    except MissingSecretKey:
        return ""


def deliver(
    sessions: sessionmaker[Session],
    settings: Settings,
    delivery_id: int,
    *,
    limiter: RateLimiter | None,
    breaker: Breaker | None = None,
    now: Callable[[], datetime] = utcnow,
    booked: bool = False,
) -> Outcome:
    """Make one attempt at a delivery; a redelivered or concurrent duplicate is a no-op.

    `booked`: an earlier attempt was given this moment's send slot by the rate limit. An
    unexpected error is raised once the attempt is counted.
    """
    outcome = deliver_many(
        sessions, settings, {delivery_id: booked}, limiter=limiter, breaker=breaker, now=now
    )[delivery_id]
    if outcome.error is not None:
        raise outcome.error
    return outcome


def deliver_many(
    sessions: sessionmaker[Session],
    settings: Settings,
    wanted: Mapping[int, bool],
    *,
    limiter: RateLimiter | None,
    breaker: Breaker | None = None,
    now: Callable[[], datetime] = utcnow,
    pool: Executor | None = None,
) -> dict[int, Outcome]:
    """Make one attempt at each delivery of `wanted` (id -> booked, as for `deliver`).

    They are claimed and their alerts read in one transaction, sent side by side on `pool`, and
    the sends recorded in one transaction (those done within RECORD_AFTER_S; any later one as it
    ends): two commits for the batch instead of two for each.
    Each is still claimed on its own terms, so a duplicate anywhere is a no-op, and one whose
    send fails holds back none of the others. An unexpected error is returned in its outcome.
    """
    started = now()
    claimed_at = time.monotonic()
    outcomes: dict[int, Outcome] = {}
    with transaction(sessions) as session:
        claimed = service.claim_deliveries(
            session,
            delivery_ids=list(wanted),
            now=started,
            lease=timedelta(seconds=settings.delivery_lease_s),
        )
        for delivery_id in sorted(wanted.keys() - claimed.keys()):
            # A booked slot stays booked while the delivery is not due yet.
            outcome = setbacks.not_claimed(session, delivery_id, started)
            outcomes[delivery_id] = replace(outcome, booked=wanted[delivery_id])
        touchpoints, link_secret = _touchpoints(settings), _link_secret(settings)
        attempts = [
            Claimed(delivery, _alert(session, settings, delivery, touchpoints, link_secret),
                     wanted[delivery.id])
            for delivery in claimed.values()
        ]  # fmt: skip

    ready, setback = admission.admit(sessions, settings, attempts, limiter, breaker, now)
    outcomes.update(setback)

    def attempt(one: Ready) -> Outcome | _Send:
        try:
            return _send(sessions, settings, one, breaker, now, started)
        except Exception as exc:  # noqa: BLE001 (returned: the others' sends must be recorded)
            return Outcome("error", error=exc)

    def settle(results: Iterable[tuple[Ready, Outcome | _Send]]) -> None:
        sends = []
        for one, result in results:
            if isinstance(result, Outcome):
                outcomes[one.claimed.delivery.id] = result
            else:
                sends.append(result)
        if sends:
            until = claimed_at + _record_budget(settings)
            outcomes.update(_record(sessions, sends, breaker=breaker, now=now, until=until))

    if pool is None or len(ready) < 2:
        settle((one, attempt(one)) for one in ready)
        return outcomes
    # Sends that are quick are recorded together; a slow one does not keep the others
    # unrecorded (sent twice if this worker died meanwhile) for longer than RECORD_AFTER_S.
    futures = {pool.submit(attempt, one): one for one in ready}
    done, left = wait(futures, timeout=RECORD_AFTER_S)
    settle((futures[future], future.result()) for future in done)
    while left:
        done, left = wait(left, return_when=FIRST_COMPLETED)
        settle((futures[future], future.result()) for future in done)
    return outcomes


@dataclass(frozen=True)
class _Send:
    """A send that went out (or was found posted), to record, and the route it took."""

    record: service.Sent
    route: Route
    endpoint: str


def _alert(
    session: Session,
    settings: Settings,
    delivery: Delivery,
    touchpoints: tuple[str, ...],
    link_secret: str,
) -> Alert:
    return alert_content.build_alert(
        delivery,
        public_url=settings.public_url,
        move=alert_content.move_of(session, delivery),
        assignment=alert_content.assignment_of(session, delivery),
        touchpoints=touchpoints,
        link_secret=link_secret,
        incident=incidents.note_of(session, delivery),
    )


def _send(
    sessions: sessionmaker[Session],
    settings: Settings,
    ready: Ready,
    breaker: Breaker | None,
    now: Callable[[], datetime],
    started: datetime,
) -> Outcome | _Send:
    """Send one cleared delivery; record here any outcome but a send (`_record` does those)."""
    delivery, alert = ready.claimed.delivery, ready.claimed.alert
    route, endpoint = ready.route, ready.endpoint
    found = False
    ref = None
    try:
        with endpoint_slot(endpoint, settings.notifier_endpoint_concurrency):
            if delivery.ambiguous:
                # An earlier attempt may have gone through: look before sending it again.
                found = route.channel.already_sent(alert, route.target, since=delivery.created_at)
            if not found:
                ref = route.channel.send(alert, route.target)
    except Exception as exc:  # noqa: BLE001 (set back by kind; an unexpected one is returned)
        return setbacks.after_error(
            sessions, settings, delivery, exc, now, breaker, endpoint, started
        )
    sent = service.Sent(delivery, now(), route.channel.type, route.fallback, found, ref)
    return _Send(sent, route, endpoint)


def _record(
    sessions: sessionmaker[Session],
    sends: Sequence[_Send],
    *,
    breaker: Breaker | None,
    now: Callable[[], datetime],
    until: float,
) -> dict[int, Outcome]:
    """Record the sends in one transaction, then count them and tell their endpoints' breakers."""
    extra = {"delivery_ids": [send.record.delivery.id for send in sends]}

    def record() -> set[int]:
        with transaction(sessions) as session:
            return service.mark_all_sent(session, [send.record for send in sends])

    # The alerts have gone out: a lost record means the lease runs out and they are sent again,
    # and email cannot be looked up first. An outage shorter than the lease costs a wait instead
    # of duplicates; a longer one is returned as an error, and the sweep's ambiguous resend
    # follows.
    try:
        recorded = while_unavailable(record, until=until, doing="sent; recording it", extra=extra)
    except Exception as exc:  # noqa: BLE001 (every send of the batch shares the failure)
        return {send.record.delivery.id: Outcome("error", error=exc) for send in sends}
    states: dict[str, int] = {}
    if breaker is not None:
        try:
            states = breaker.successes((send.endpoint for send in sends), now().timestamp())
        except Exception:  # the sends are recorded; the breakers hear of the next ones
            log.exception("could not tell the breakers of %d sends", len(sends), extra=extra)
    outcomes = {}
    answered: dict[str, tuple[int, ...]] = {}  # endpoint -> what its success released
    for send in sends:
        delivery, route = send.record.delivery, send.route
        ids = setbacks.ids_of(delivery)
        metrics.delivery(delivery.channel, "sent")
        if (
            delivery.id in recorded
            and delivery.kind == DeliveryKind.ASSIGNMENT
            and not delivery.step
        ):
            waited = (send.record.at - delivery.case.created_at).total_seconds()
            metrics.first_alert(delivery.channel, waited)
        if route.fallback:
            log.warning("written to the outbox: %s", route.fallback, extra=ids)
        released: tuple[int, ...] = ()
        state = states.get(send.endpoint, KEEP)
        if state != KEEP and send.endpoint not in answered:  # once per endpoint and batch
            released = _release_waiting(sessions, route, delivery.channel, send.endpoint, now())
            what = "circuit breaker closed" if state == RECLOSED else "endpoint answers again"
            log.info("%s for %s; %d released", what, send.endpoint, len(released), extra=ids)
        answered.setdefault(send.endpoint, released)
        how = "found already posted" if send.record.found else f"delivered via {route.channel.type}"
        log.info(how, extra=ids | {"recorded": delivery.id in recorded})
        outcomes[delivery.id] = Outcome("sent", released=released)
    return outcomes


def _record_budget(settings: Settings) -> float:
    """How long after its claim a sent alert may wait for the database to record it: inside the
    lease (after it another worker may take the delivery) and the task's soft time limit."""
    return 0.9 * min(settings.delivery_lease_s, settings.task_soft_time_limit_s)


def _release_waiting(
    sessions: sessionmaker[Session], route: Route, channel: str, endpoint: str, at: datetime
) -> tuple[int, ...]:
    """Make every waiting delivery behind the endpoint due now; return their ids to enqueue."""
    with transaction(sessions) as session:
        candidates = service.waiting(session, channel=channel)
        ids = [i for i, target in candidates if route.channel.endpoint(target) == endpoint]
        service.make_due(session, delivery_ids=ids, now=at)
    return tuple(ids)


def sweep(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime, backlog: int
) -> Sequence[int]:
    """Return the deliveries the sweep must re-enqueue (lease expired, or pending past grace).

    With a backlog in the notifier's queue only a trickle of pending ones is taken: the rest are
    most likely still waiting in that queue, and re-sending them would add duplicate work.
    """
    with transaction(sessions) as session:
        return service.due_deliveries(
            session,
            now=now,
            grace=timedelta(seconds=settings.sweep_grace_s),
            limit=SWEEP_BATCH,
            overdue_limit=SWEEP_TRICKLE if backlog else SWEEP_BATCH,
        )
