"""The SLA check: stamp deadlines, find breaches, and create each escalation delivery once.

Runs from the `router.check_sla` beat task. A case row is locked while it is escalated and its
`escalation_step` advances in the same transaction as the new deliveries, whose unique key
(case, kind, step, receiver, channel, target) makes a concurrent or repeated run harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.access import case_team
from services.desk.config import DeskConfig
from services.desk.enums import Role
from services.desk.models import Team, User
from services.desk.service import stamp_deadlines
from services.desk.sla import SlaView, escalation_start, steps_due
from shared import metrics
from shared.db import transaction
from shared.enums import OPEN_CASE_STATUSES, DeliveryKind, IncidentState
from shared.models import Case, CaseEvent, Delivery, Incident, IncidentCase
from shared.silences import silencing

log = logging.getLogger(__name__)
BATCH = 500

Target = tuple[str, str]  # (channel, target)


def stamp_batch(session: Session, *, config: DeskConfig, limit: int = BATCH) -> int:
    """Give open cases without deadlines their deadlines; return how many were stamped."""
    cases = session.scalars(
        select(Case)
        .where(
            Case.status.in_(OPEN_CASE_STATUSES),
            Case.ack_due_at.is_(None),
            Case.resolve_due_at.is_(None),
        )
        .order_by(Case.id)
        .limit(limit)
    ).all()
    return sum(stamp_deadlines(case, config) for case in cases)


def breached_ids(
    session: Session, *, now: datetime, config: DeskConfig, limit: int = BATCH, after_id: int = 0
) -> tuple[list[int], int | None]:
    """Return (ids with an escalation step due now, the id to continue after or None at the end).

    One page of open, overdue cases that still have steps to take, in id order; the caller
    pages on so cases finished escalating, or waiting for a later step, never crowd out new
    breaches (they once did: the batch took the 500 lowest ids, whatever their state).
    """
    columns = (Case.id, Case.status, Case.ack_due_at, Case.resolve_due_at, Case.acknowledged_at,
               Case.resolved_at, Case.escalation_step, Case.snoozed_until)  # fmt: skip
    rows = session.execute(
        select(*columns)
        .where(
            Case.id > after_id,
            Case.status.in_(OPEN_CASE_STATUSES),
            Case.escalation_step < len(config.escalation),
            or_(Case.snoozed_until.is_(None), Case.snoozed_until <= now),
            or_(
                and_(Case.acknowledged_at.is_(None), Case.ack_due_at <= now),
                Case.resolve_due_at <= now,
            ),
        )
        .order_by(Case.id)
        .limit(limit)
    ).all()
    due = []
    for row in rows:
        view = SlaView(row.status, row.ack_due_at, row.resolve_due_at, row.acknowledged_at,
                       row.resolved_at)  # fmt: skip
        started = escalation_start(view, now, row.snoozed_until)
        if started is not None and steps_due(started, now, config.escalation, row.escalation_step):
            due.append(row.id)
    return due, (rows[-1].id if len(rows) == limit else None)


def view_of(case: Case) -> SlaView:
    """Return the SLA facts of a stored case."""
    return SlaView(
        status=case.status,
        ack_due_at=case.ack_due_at,
        resolve_due_at=case.resolve_due_at,
        acknowledged_at=case.acknowledged_at,
        resolved_at=case.resolved_at,
    )


def targets_for(session: Session, *, to: str, case: Case, config: DeskConfig) -> list[Target]:
    """Return where an escalation step goes: owner, the team's lead, or the champions."""
    if to == "owner":
        if case.assignee_id is not None:
            user = session.get(User, case.assignee_id)
            if user is not None and user.active:
                return [("email", user.email)]
        query = select(Delivery.channel, Delivery.target).where(
            Delivery.case_id == case.id, Delivery.kind == DeliveryKind.ASSIGNMENT
        )
        receivers = (case.receivers or {}).get("receivers")
        if receivers:  # after a re-route, only the present receivers own the case
            query = query.where(Delivery.receiver.in_(receivers))
        rows = session.execute(query.distinct())
        return sorted((channel, target) for channel, target in rows)
    if to == "team_lead":
        team = case_team(case, config)
        lead = session.scalar(
            select(User).join(Team, Team.lead_id == User.id).where(Team.name == team)
        )
        return [("email", lead.email)] if lead is not None and lead.active else []
    champions = session.scalars(
        select(User.email).where(User.role == Role.CHAMPION, User.active.is_(True))
    )
    return sorted({*config.champion_targets, *(("email", email) for email in champions)})


def escalate_case(
    session: Session, *, case_id: int, config: DeskConfig, now: datetime
) -> list[int]:
    """Take every escalation step now due for one case; return the new delivery ids."""
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        return []
    started = escalation_start(view_of(case), now, case.snoozed_until)
    if started is None:
        return []
    if silencing(session, (case.analysis or {}).get("labels") or {}, now=now) is not None:
        return []  # nobody is paged while a silence holds; the step is taken once it is over
    which = "acknowledge" if case.acknowledged_at is None else "resolve"
    incident_id = open_incident_of(session, case_id=case.id)
    created: list[int] = []
    for number in steps_due(started, now, config.escalation, case.escalation_step):
        step = config.escalation[number - 1]
        targets = targets_for(session, to=step.to, case=case, config=config)
        grouped = [t for t in targets if incident_id is not None
                   and _escalated_in(session, incident_id, number, t)]  # fmt: skip
        for channel, target in (t for t in targets if t not in grouped):
            delivery = Delivery(
                case_id=case.id, kind=DeliveryKind.ESCALATION, step=number, receiver=step.to,
                channel=channel, target=target, created_at=now, due_at=now,
            )  # fmt: skip
            session.add(delivery)
            session.flush()
            created.append(delivery.id)
        detail = {
            "step": number,
            "to": step.to,
            "breach": which,
            "breached_at": started.isoformat(),
            "targets": [f"{channel}:{target}" for channel, target in targets],
        }
        if grouped:
            detail["incident"] = {
                "id": incident_id,
                "told_already": [f"{c}:{t}" for c, t in grouped],
            }
        if not targets:
            detail["warning"] = f"no {step.to} to notify; configure users, a team lead or champions"
        session.add(CaseEvent(case_id=case.id, at=now, action="escalate", detail=detail))
        case.escalation_step = number
        metrics.after_commit(session, lambda: metrics.sla_escalated(which))
    return created


def open_incident_of(session: Session, *, case_id: int) -> int | None:
    """The open incident a case is part of, if any (the first, if several routes grouped it)."""
    return session.scalar(
        select(Incident.id)
        .join(IncidentCase, IncidentCase.incident_id == Incident.id)
        .where(IncidentCase.case_id == case_id, Incident.state == IncidentState.OPEN)
        .order_by(Incident.id)
        .limit(1)
    )


def _escalated_in(session: Session, incident_id: int, step: int, target: Target) -> bool:
    """Whether a case of the incident already escalated this step to this target: a burst
    that breaches its SLA together escalates once per target, not once per case."""
    channel, address = target
    return bool(session.scalar(
        select(Delivery.id)
        .join(IncidentCase, IncidentCase.case_id == Delivery.case_id)
        .where(IncidentCase.incident_id == incident_id, Delivery.kind == DeliveryKind.ESCALATION,
               Delivery.step == step, Delivery.channel == channel, Delivery.target == address)
        .limit(1)
    ))  # fmt: skip


def breached_counts(session: Session, *, now: datetime) -> dict[str, int]:
    """Count open cases past the deadline they still have to meet (as `outstanding_deadline`)."""
    open_case = Case.status.in_(OPEN_CASE_STATUSES)
    unacknowledged = and_(Case.acknowledged_at.is_(None), Case.ack_due_at.is_not(None))
    conditions = {
        "acknowledge": and_(open_case, unacknowledged, Case.ack_due_at <= now),
        "resolve": and_(open_case, ~unacknowledged, Case.resolve_due_at <= now),
    }
    return {
        deadline: session.scalar(select(func.count()).select_from(Case).where(where)) or 0
        for deadline, where in conditions.items()
    }


def check_sla(sessions: sessionmaker[Session], *, config: DeskConfig, now: datetime) -> list[int]:
    """Stamp deadlines, then escalate every breached case; return new delivery ids to send."""
    with transaction(sessions) as session:
        stamped = stamp_batch(session, config=config)
        metrics.sla_breached(breached_counts(session, now=now))
    created: list[int] = []
    after: int | None = 0
    while after is not None:
        with transaction(sessions) as session:
            ids, after = breached_ids(session, now=now, config=config, after_id=after)
        for case_id in ids:
            with transaction(sessions) as session:
                new = escalate_case(session, case_id=case_id, config=config, now=now)
            if new:
                log.info("escalated", extra={"case_id": case_id, "deliveries": new})
            created.extend(new)
    if stamped:
        log.info("stamped SLA deadlines", extra={"cases": stamped})
    return created
