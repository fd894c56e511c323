"""Incidents on the desk: which incident a case is in, an incident with its cases, resolve all.

Resolving an incident runs the ordinary resolve on each of its open cases (acknowledging new
ones first), with the same checks and audit as one case at a time, in one transaction: if any
case may not be resolved (role, root cause, status), nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import Conflict, Forbidden, NotFound

from services.desk import flows
from services.desk.access import can_change, can_see
from services.desk.config import DeskConfig
from services.desk.models import User
from shared.enums import OPEN_CASE_STATUSES, CaseStatus, IncidentState
from shared.models import Case, Incident, IncidentCase, IncidentFlush

MAX_CHILDREN = 2000  # an incident page lists at most this many cases


@dataclass(frozen=True)
class IncidentView:
    """An incident with the cases of it the user may see, and the alerts it sent."""

    incident: Incident
    cases: list[Case]
    alerts: list[IncidentFlush]

    @property
    def open_cases(self) -> list[Case]:
        """The cases still to resolve."""
        return [c for c in self.cases if c.status in OPEN_CASE_STATUSES]


def incidents_of(session: Session, *, case_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """Map each case to its incident (the first, if several routes grouped it): id, count, state."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(IncidentCase.case_id, Incident.id, Incident.count, Incident.state)
        .join(Incident, Incident.id == IncidentCase.incident_id)
        .where(IncidentCase.case_id.in_(list(case_ids)))
        .order_by(Incident.id)
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        found.setdefault(row.case_id, {"id": row.id, "count": row.count, "state": row.state})
    return found


def view(session: Session, *, user: User, incident_id: int, config: DeskConfig) -> IncidentView:
    """Return the incident and its cases the user may see; 404 if they may see none."""
    incident = session.get(Incident, incident_id)
    cases = [] if incident is None else _children(session, incident_id)
    visible = [c for c in cases if can_see(user, c, config)]
    if incident is None or not visible:
        raise NotFound(f"incident {incident_id} not found")
    alerts = session.scalars(
        select(IncidentFlush)
        .where(IncidentFlush.incident_id == incident_id)
        .order_by(IncidentFlush.seq)
    )
    return IncidentView(incident, visible, list(alerts))


def _children(session: Session, incident_id: int, limit: int | None = MAX_CHILDREN) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .join(IncidentCase, IncidentCase.case_id == Case.id)
            .where(IncidentCase.incident_id == incident_id)
            .options(joinedload(Case.response))
            .order_by(Case.id)
            .limit(limit)
        )
    )


def resolve_all(
    session: Session, *, user: User, incident_id: int, root_cause: str, note: str,
    config: DeskConfig, now: datetime,
) -> list[int]:  # fmt: skip
    """Resolve every open case of the incident and the incident itself; return the cases resolved.

    The caller commits; on any error it rolls back, so a refused case leaves every case as it was.
    """
    shown = view(session, user=user, incident_id=incident_id, config=config)
    if shown.incident.state != IncidentState.OPEN:
        raise Conflict(f"incident {incident_id} is {shown.incident.state} already")
    children = _children(session, incident_id, limit=None)  # all of them, not one page
    everyone = [c for c in children if c.status in OPEN_CASE_STATUSES]
    refused = [c.id for c in everyone if not can_change(user, c, config)]
    if refused:
        raise Forbidden(
            f"your role may not change case(s) {', '.join(f'#{i}' for i in refused[:10])} "
            "of this incident; resolve the others one by one or ask a champion"
        )
    data = {"root_cause": root_cause, "resolution_note": note}
    for case in everyone:
        if case.status == CaseStatus.NEW:
            flows.perform(session, user=user, case_id=case.id, action="acknowledge", data={},
                          config=config, now=now)  # fmt: skip
        flows.perform(session, user=user, case_id=case.id, action="resolve", data=data,
                      config=config, now=now)  # fmt: skip
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id, Incident.state == IncidentState.OPEN)
        .values(
            state=IncidentState.RESOLVED, resolved_at=now, resolved_by=user.email, flush_due_at=None
        )
        .execution_options(synchronize_session=False)
    )
    return [c.id for c in everyone]


def root_causes(shown: IncidentView, config: DeskConfig) -> list[str]:
    """The root causes every open case of the incident accepts (its touchpoints' common codes)."""
    lists = [config.root_causes_for(c.touchpoint) for c in shown.open_cases] or [()]
    common = set(lists[0]).intersection(*map(set, lists[1:]))
    return [code for code in lists[0] if code in common]
