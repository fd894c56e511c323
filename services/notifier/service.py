"""Data access for deliveries: claim atomically, record the outcome, find what the sweep owes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, bindparam, case, insert, or_, select, update
from sqlalchemy.orm import Session, defer, joinedload

from shared.enums import DeliveryStatus
from shared.models import Case, CaseEvent, Delivery, Response, UTCDateTime

ACTOR = "notifier"


def claim_delivery(
    session: Session, *, delivery_id: int, now: datetime, lease: timedelta
) -> Delivery | None:
    """Take the delivery for this worker until now+lease; None if sent, failed, held or not due."""
    return claim_deliveries(session, delivery_ids=[delivery_id], now=now, lease=lease).get(
        delivery_id
    )


def claim_deliveries(
    session: Session, *, delivery_ids: Sequence[int], now: datetime, lease: timedelta
) -> dict[int, Delivery]:
    """Take these deliveries for this worker until now+lease, in one statement and one read.

    Each row is still claimed on its own terms (pending and due, or its lease run out): the ones
    missing from the result are sent, failed, held, not due, or another worker's.
    """
    # Core on the session's connection, statements built once: the ORM's bulk-update path and
    # building the statements cost more CPU than running them, on every delivery.
    params = {"claimed_ids": sorted(set(delivery_ids)), "claimed_at": now,
              "leased_until": now + lease}  # fmt: skip
    claimed = list(session.connection().execute(_CLAIM, params).scalars())
    if not claimed:
        return {}
    rows = session.scalars(_CLAIMED, {"claimed_ids": claimed}).unique()
    return {delivery.id: delivery for delivery in rows}


_CLAIM = (
    update(Delivery)
    .where(
        Delivery.id.in_(bindparam("claimed_ids", expanding=True)),
        or_(
            Delivery.status == DeliveryStatus.PENDING,
            and_(
                Delivery.status == DeliveryStatus.SENDING,
                Delivery.lease_until < bindparam("claimed_at", type_=UTCDateTime()),
            ),
        ),
        Delivery.due_at <= bindparam("claimed_at", type_=UTCDateTime()),
    )
    .values(
        status=DeliveryStatus.SENDING,
        lease_until=bindparam("leased_until", type_=UTCDateTime()),
        # Taken back from a worker whose lease ran out: it may have sent before it died.
        ambiguous=case((Delivery.status == DeliveryStatus.SENDING, True), else_=Delivery.ambiguous),
    )
    .returning(Delivery.id)
)
# What build_alert reads: the case and its response, without the JSON no alert shows (the
# vendor's raw payload, the router's decision, the detected touchpoints, the routes matched),
# which would otherwise be fetched and parsed for every delivery.
_CLAIMED = (
    select(Delivery)
    .where(Delivery.id.in_(bindparam("claimed_ids", expanding=True)))
    .order_by(Delivery.id)
    .options(
        joinedload(Delivery.case).options(
            defer(Case.touchpoints),
            defer(Case.receivers),
            joinedload(Case.response).options(defer(Response.raw), defer(Response.decision)),
        )
    )
    .execution_options(populate_existing=True)
)


def get_delivery(session: Session, *, delivery_id: int) -> Delivery | None:
    """Return a delivery by id."""
    return session.get(Delivery, delivery_id)


@dataclass(frozen=True)
class Sent:
    """A send to record: the claimed delivery, when and how it went, where the channel keeps it.

    `found`: not sent now, but found in the channel, sent by an earlier ambiguous attempt.
    `message_ref`: where the channel keeps the message, for updating it in place later.
    """

    delivery: Delivery
    at: datetime
    via: str
    fallback: str | None = None
    found: bool = False
    message_ref: str | None = None


def mark_sent(
    session: Session,
    *,
    delivery: Delivery,
    now: datetime,
    via: str,
    fallback: str | None,
    found: bool = False,
    message_ref: str | None = None,
) -> bool:
    """Record a successful send (once: False if it was already recorded) and its case event."""
    sent = Sent(delivery, now, via, fallback, found, message_ref)
    return bool(mark_all_sent(session, [sent]))


def mark_all_sent(session: Session, sends: Sequence[Sent]) -> set[int]:
    """Record these sends and their case events in the caller's transaction; return the ids of
    the deliveries recorded now (one recorded before, or no longer claimed, is left alone)."""
    conn = session.connection()
    recorded: set[int] = set()
    events = []
    for sent in sends:
        params = {"sent_id": sent.delivery.id, "sent_now": sent.at, "sent_ref": sent.message_ref}
        if conn.execute(_MARK_SENT, params).rowcount != 1:  # type: ignore[attr-defined]
            continue
        recorded.add(sent.delivery.id)
        detail: dict[str, Any] = {"via": sent.via} | (
            {"fallback": sent.fallback} if sent.fallback else {}
        )
        detail |= {"found_earlier_post": True} if sent.found else {}
        events.append(_event_row(sent.delivery, "delivered", detail, sent.at))
    if events:
        conn.execute(_EVENT, events)
    return recorded


_MARK_SENT = (  # the common ending, built once (see claim_delivery); _release does the rest
    update(Delivery)
    .where(Delivery.id == bindparam("sent_id"), Delivery.status == DeliveryStatus.SENDING)
    .values(
        status=DeliveryStatus.SENT, sent_at=bindparam("sent_now", type_=UTCDateTime()),
        attempts=Delivery.attempts + 1, last_error=None, lease_until=None,
        message_ref=bindparam("sent_ref", type_=String(100)),
    )
)  # fmt: skip


def mark_failed(
    session: Session, *, delivery: Delivery, now: datetime, error: str, permanent: bool
) -> None:
    """Record that the delivery will not be sent, with the error, for the API and the timeline."""
    values = {"status": DeliveryStatus.FAILED, "attempts": Delivery.attempts + 1}
    if not _release(session, delivery, values | {"last_error": error}):
        return
    detail = {"error": error, "permanent": permanent, "attempts": delivery.attempts + 1}
    _event(session, delivery, "delivery_failed", detail, now)


def schedule_retry(
    session: Session,
    *,
    delivery: Delivery,
    now: datetime,
    due_at: datetime,
    error: str,
    retry_from: datetime,
    ambiguous: bool = False,
) -> None:
    """Release the claim after a failed attempt; the delivery is due again at due_at."""
    values = {
        "status": DeliveryStatus.PENDING,
        "due_at": due_at,
        "attempts": Delivery.attempts + 1,
        "last_error": error,
        "retry_from": retry_from,
        "ambiguous": delivery.ambiguous or ambiguous,
    }
    if not _release(session, delivery, values):
        return
    detail = {"error": error, "attempts": delivery.attempts + 1, "due_at": due_at.isoformat()}
    _event(session, delivery, "delivery_retry", detail, now)


def release_claim(
    session: Session, *, delivery: Delivery, due_at: datetime, retry_from: datetime | None
) -> None:
    """Give the delivery back without counting an attempt (a rate limit, an open breaker)."""
    values = {"status": DeliveryStatus.PENDING, "due_at": due_at, "retry_from": retry_from}
    _release(session, delivery, values)


def waiting(session: Session, *, channel: str) -> Sequence[tuple[int, str]]:
    """Return (id, target) of the channel's pending deliveries that failed or were held.

    Fresh ones (no failure yet) already have their task on its way: no need for another.
    """
    rows = session.execute(
        select(Delivery.id, Delivery.target).where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.channel == channel,
            Delivery.retry_from.is_not(None),
        )
    )
    return [(row.id, row.target) for row in rows]


def make_due(session: Session, *, delivery_ids: Sequence[int], now: datetime) -> None:
    """Make pending deliveries due now (a channel they waited for is back)."""
    for start in range(0, len(delivery_ids), 500):
        session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(delivery_ids[start : start + 500]),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.due_at > now,
            )
            .values(due_at=now)
            .execution_options(synchronize_session=False)
        )


def _release(session: Session, delivery: Delivery, values: dict[str, Any]) -> bool:
    """End this worker's claim with the given values; False if the claim was no longer held."""
    result = session.connection().execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.SENDING)
        .values(lease_until=None, **values)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def due_deliveries(
    session: Session, *, now: datetime, grace: timedelta, limit: int, overdue_limit: int
) -> Sequence[int]:
    """Ids the sweep must re-enqueue: expired leases, then pending ones due for longer than grace.

    Pending ones, oldest first, are capped by overdue_limit: while the notifier's queue has a
    backlog most of them are only waiting in it. A retry longer than the countdown cap has no
    task at all and is found here once due for grace. Pending ones get due_at=now, so the next
    sweep waits another grace period before repeating.
    """
    ids = list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
            .order_by(Delivery.lease_until)
            .limit(limit)
        )
    )
    room = min(limit - len(ids), overdue_limit)
    if room <= 0:
        return ids
    pending = list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= now - grace)
            .order_by(Delivery.due_at, Delivery.id)
            .limit(room)
        )
    )
    if pending:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(pending), Delivery.status == DeliveryStatus.PENDING)
            .values(due_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids + pending


def _event(
    session: Session, delivery: Delivery, action: str, detail: dict[str, Any], now: datetime
) -> None:
    session.connection().execute(_EVENT, _event_row(delivery, action, detail, now))


def _event_row(
    delivery: Delivery, action: str, detail: dict[str, Any], now: datetime
) -> dict[str, Any]:
    base = {
        "delivery_id": delivery.id,
        "receiver": delivery.receiver,
        "channel": delivery.channel,
        "target": delivery.target,
    }
    return {"case_id": delivery.case_id, "at": now, "actor": ACTOR, "action": action,
            "detail": base | detail}  # fmt: skip


_EVENT = insert(CaseEvent)
