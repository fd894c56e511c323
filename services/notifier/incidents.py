"""Incident alerts: turn a due incident into one delivery per target, once per sequence number.

A flush claims the incident's scheduled alert with one UPDATE (clearing `flush_due_at`), so a
redelivered or concurrent flush finds nothing to claim and sends nothing. What the alert says
(count, new, example cases) is written as an IncidentFlush row keyed by (incident, seq), and
the deliveries carry that row's id as their step: every target renders the same snapshot, and
the delivery machinery (claim, retry, breaker, sweep) carries them as it carries any alert.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from services.notifier.message import IncidentNote
from shared.enums import (
    OPEN_CASE_STATUSES,
    DeliveryKind,
    DeliveryStatus,
    FlushKind,
    IncidentState,
)
from shared.models import Case, Delivery, Incident, IncidentCase, IncidentFlush, Response

log = logging.getLogger(__name__)
EXAMPLES = 3
ACTOR = "notifier"
_OPEN = Incident.state == IncidentState.OPEN


@dataclass(frozen=True)
class Flushed:
    """What one flush did: the deliveries to send, or how long until the alert is due."""

    status: str  # sent, not_due, nothing
    delivery_ids: tuple[int, ...] = ()
    retry_in: float | None = None


def flush(session: Session, *, incident_id: int, now: datetime) -> Flushed:
    """Send the incident's scheduled alert if it is due: one snapshot, one delivery per target."""
    claimed = session.execute(
        update(Incident)
        .where(Incident.id == incident_id, _OPEN, Incident.flush_due_at <= now)
        .values(flush_due_at=None)
        .returning(
            Incident.count.label("total"),
            Incident.notified_count,
            Incident.flush_seq,
            Incident.first_case_id,
            Incident.receiver,
            Incident.targets,
        )
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if claimed is None:
        return _not_claimed(session, incident_id, now)
    seq = claimed.flush_seq + 1
    kind = _kind(seq, claimed.total, claimed.notified_count)
    examples = _examples(session, incident_id, newest=kind != FlushKind.FIRST)
    flush_id = session.execute(
        insert(IncidentFlush).returning(IncidentFlush.id),
        {"incident_id": incident_id, "seq": seq, "kind": kind, "count": claimed.total,
         "new": claimed.total - claimed.notified_count, "examples": {"case_ids": examples},
         "at": now},
    ).scalar_one()  # fmt: skip
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(flush_seq=seq, notified_count=claimed.total, notified_at=now)
        .execution_options(synchronize_session=False)
    )
    rows = [
        {"case_id": claimed.first_case_id, "kind": DeliveryKind.INCIDENT, "step": flush_id,
         "receiver": claimed.receiver, "channel": channel, "target": target,
         "status": DeliveryStatus.PENDING, "attempts": 0, "created_at": now, "due_at": now}
        for channel, target in claimed.targets.get("targets", [])
    ]  # fmt: skip
    ids = tuple(
        session.execute(
            insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True), rows
        ).scalars()
    ) if rows else ()  # fmt: skip
    log.info(
        "incident alert %s #%d: %d cases", kind, seq, claimed.total,
        extra={"incident_id": incident_id, "deliveries": len(ids)},
    )  # fmt: skip
    return Flushed("sent", ids)


def _kind(seq: int, count: int, notified: int) -> FlushKind:
    if seq == 1:
        return FlushKind.FIRST
    return FlushKind.UPDATE if count > notified else FlushKind.REPEAT


def _examples(session: Session, incident_id: int, *, newest: bool) -> list[int]:
    """Up to three children with a comment: the first ones, or for a later alert the newest."""
    order = Case.id.desc() if newest else Case.id
    return list(
        session.scalars(
            select(Case.id)
            .join(IncidentCase, IncidentCase.case_id == Case.id)
            .join(Response, Response.id == Case.response_id)
            .where(IncidentCase.incident_id == incident_id, Response.comment != "")
            .order_by(order)
            .limit(EXAMPLES)
        )
    )


def _not_claimed(session: Session, incident_id: int, now: datetime) -> Flushed:
    incident = session.get(Incident, incident_id)
    if incident is None or incident.flush_due_at is None or incident.state != IncidentState.OPEN:
        return Flushed("nothing")  # sent already (a redelivered task), resolved, or unknown
    return Flushed("not_due", retry_in=(incident.flush_due_at - now).total_seconds())


def note_of(session: Session, delivery: Delivery) -> IncidentNote | None:
    """The incident snapshot an incident delivery renders; None for any other delivery."""
    if delivery.kind != DeliveryKind.INCIDENT:
        return None
    snapshot = session.get(IncidentFlush, delivery.step)
    incident = session.get(Incident, snapshot.incident_id) if snapshot else None
    if snapshot is None or incident is None:
        return None
    comments: Sequence[str] = ()
    if not incident.private:
        ids = list(snapshot.examples.get("case_ids", []))
        rows = session.execute(
            select(Case.id, Response.comment)
            .join(Response, Response.id == Case.response_id)
            .where(Case.id.in_(ids))
        )
        found = {case_id: comment for case_id, comment in rows}
        comments = [found[i] for i in ids if found.get(i)]
    group: Any = incident.labels.get("group", []) if isinstance(incident.labels, dict) else []
    return IncidentNote(
        incident_id=incident.id, kind=snapshot.kind, count=snapshot.count, new=snapshot.new,
        group=tuple((str(k), str(v)) for k, v in group), examples=tuple(comments),
        since=incident.first_seen_at,
    )  # fmt: skip


def due(
    session: Session, *, now: datetime, horizon: timedelta = timedelta(0), limit: int = 500
) -> list[tuple[int, datetime]]:
    """(incident, when) of the alerts due by now + horizon: scheduled ones, and repeat reminders.

    The sweep sends each with a countdown to its time, so an alert further off than a routing
    task's countdown may go still goes out on time. An incident none of whose cases is open any
    more is resolved here instead of repeated.
    """
    until = now + horizon
    found = [
        (row.id, row.flush_due_at)
        for row in session.execute(
            select(Incident.id, Incident.flush_due_at)
            .where(_OPEN, Incident.flush_due_at <= until)
            .order_by(Incident.flush_due_at)
            .limit(limit)
        )
    ]
    quiet = session.execute(
        select(Incident.id, Incident.notified_at, Incident.repeat_s)
        .where(_OPEN, Incident.flush_due_at.is_(None), Incident.notified_at.is_not(None))
        .order_by(Incident.notified_at)
        .limit(limit)
    ).all()
    for row in quiet:
        at = row.notified_at + timedelta(seconds=row.repeat_s)
        if at > until:
            continue
        if _has_open_case(session, row.id):
            _schedule(session, row.id, at)
            found.append((row.id, at))
        else:
            _settle(session, row.id, now)
    return found


def _has_open_case(session: Session, incident_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists()
                .where(IncidentCase.incident_id == incident_id)
                .where(Case.id == IncidentCase.case_id, Case.status.in_(OPEN_CASE_STATUSES))
            )
        )
    )


def _schedule(session: Session, incident_id: int, at: datetime) -> None:
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id, _OPEN, Incident.flush_due_at.is_(None))
        .values(flush_due_at=at)
        .execution_options(synchronize_session=False)
    )


def _settle(session: Session, incident_id: int, now: datetime) -> None:
    """Resolve an incident whose cases were all resolved one by one."""
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id, _OPEN)
        .values(state=IncidentState.RESOLVED, resolved_at=now, resolved_by=ACTOR)
        .execution_options(synchronize_session=False)
    )
    log.info("incident resolved: none of its cases is open", extra={"incident_id": incident_id})
