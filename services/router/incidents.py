"""Join a new case to its group's open incident, or open one, and say when its alert is due.

Runs in the routing transaction. The incident row is the lock: the count goes up with an
UPDATE, so concurrent routers of one group queue on it, and whichever finds no alert scheduled
schedules the next one (group_wait after the first case, else group_interval after the last
alert). A case that finds one scheduled just joins: that alert will count it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.router.config import RouterConfig
from services.router.routing import Route
from shared.enums import IncidentState
from shared.models import Incident, IncidentCase

log = logging.getLogger(__name__)
OPEN = Incident.state == IncidentState.OPEN
# The partial unique index's predicate, as a literal: PostgreSQL infers the arbiter index from
# ON CONFLICT ... WHERE, which a bound parameter (a prepared statement's $1) cannot match.
OPEN_PREDICATE = text("state = 'open'")


@dataclass(frozen=True)
class FlushDue:
    """An incident alert to send at `due_at` (the notifier's `flush_incident` task)."""

    incident_id: int
    due_at: datetime


def _insert_incident(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT (open group key) DO NOTHING RETURNING id, for one dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(Incident)
        .on_conflict_do_nothing(index_elements=["group_key"], index_where=OPEN_PREDICATE)
        .returning(Incident.id)
    )


_INSERTS = {name: _insert_incident(name) for name in ("postgresql", "sqlite")}


def join_all(
    session: Session, *, case_id: int, nodes: Sequence[Route], labels: Mapping[str, str],
    config: RouterConfig, now: datetime, flushes: list[FlushDue] | None,
) -> list[int]:  # fmt: skip
    """Join the case to an incident per grouped node; return their ids, add alerts to schedule."""
    joined = []
    for node in (node for node in nodes if node.grouping is not None):
        incident_id, flush = join(
            session, case_id=case_id, node=node, labels=labels, config=config, now=now
        )
        joined.append(incident_id)
        if flush is not None and flushes is not None:
            flushes.append(flush)
    return joined


def join(
    session: Session, *, case_id: int, node: Route, labels: Mapping[str, str],
    config: RouterConfig, now: datetime,
) -> tuple[int, FlushDue | None]:  # fmt: skip
    """Add the case to its group's open incident (opening it); return its id and a flush due."""
    grouping = node.grouping
    assert grouping is not None, "only grouped routes open incidents"
    conn = session.connection()
    key = grouping.key(node.path, node.receiver, labels)
    receiver = config.receivers[node.receiver]
    for _ in range(3):  # an incident resolved between the insert and the update: open anew
        opened = conn.execute(_INSERTS[conn.dialect.name], _new_incident(
            key=key, node=node, labels=labels, case_id=case_id, now=now,
            targets=receiver.targets(), private=not receiver.personal_data,
        )).scalar_one_or_none()  # fmt: skip
        row = conn.execute(
            update(Incident)
            .where(Incident.group_key == key, OPEN)
            .values(count=Incident.count + 1, last_seen_at=now)
            .returning(
                Incident.id, Incident.flush_due_at, Incident.notified_at, Incident.interval_s
            )
        ).one_or_none()
        if row is not None:
            break
    else:
        raise RuntimeError(f"incident {key} kept closing while case {case_id} joined it")
    conn.execute(insert(IncidentCase), {"incident_id": row.id, "case_id": case_id})
    if opened is not None:
        log.info("incident opened", extra={"incident_id": row.id, "case_id": case_id})
        return row.id, FlushDue(row.id, row.flush_due_at)
    if row.flush_due_at is not None:
        return row.id, None  # the scheduled alert will count this case
    last = row.notified_at or now
    due = max(now, last + timedelta(seconds=row.interval_s))
    conn.execute(update(Incident).where(Incident.id == row.id).values(flush_due_at=due))
    return row.id, FlushDue(row.id, due)


def _new_incident(
    *, key: str, node: Route, labels: Mapping[str, str], case_id: int, now: datetime,
    targets: list[tuple[str, str]], private: bool,
) -> dict[str, Any]:  # fmt: skip
    grouping = node.grouping
    assert grouping is not None
    group = [[name, value] for name, value in grouping.values(labels, node.receiver).items()]
    return {
        "group_key": key, "route_path": node.path, "receiver": node.receiver,
        "labels": {"group": group}, "state": IncidentState.OPEN,
        "first_case_id": case_id, "first_seen_at": now, "last_seen_at": now, "count": 0,
        "wait_s": grouping.wait_s, "interval_s": grouping.interval_s,
        "repeat_s": grouping.repeat_s, "targets": {"targets": [list(t) for t in targets]},
        "private": private, "flush_due_at": now + timedelta(seconds=grouping.wait_s),
        "flush_seq": 0, "notified_count": 0,
    }  # fmt: skip


def scheduled_flushes(session: Session, *, case_id: int) -> list[FlushDue]:
    """The alerts still scheduled for the incidents of a case (a repeated routing resends them)."""
    rows = session.execute(
        select(Incident.id, Incident.flush_due_at)
        .join(IncidentCase, IncidentCase.incident_id == Incident.id)
        .where(IncidentCase.case_id == case_id, OPEN, Incident.flush_due_at.is_not(None))
    )
    return [FlushDue(row.id, row.flush_due_at) for row in rows]
