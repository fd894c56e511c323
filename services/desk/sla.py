"""SLA maths as pure functions: deadlines (optionally in business hours), breaches, escalations.

Every function takes `now` from the caller, so tests drive time with an injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.desk.config import DeskConfig, EscalationStep
from services.desk.enums import SlaState
from shared.enums import OPEN_CASE_STATUSES, CaseStatus
from shared.sla import Deadlines, deadlines_for
from shared.sla import add_business_time as add_business_time  # re-exported


@dataclass(frozen=True)
class SlaView:
    """The SLA-relevant facts of one case."""

    status: str
    ack_due_at: datetime | None
    resolve_due_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None


def outstanding_deadline(case: SlaView) -> datetime | None:
    """Return the next deadline the case still has to meet, if any."""
    if case.status not in OPEN_CASE_STATUSES:
        return None
    if case.acknowledged_at is None and case.ack_due_at is not None:
        return case.ack_due_at
    return case.resolve_due_at


def breach_start(case: SlaView, now: datetime) -> datetime | None:
    """Return when the current breach began, or None if the case is within its SLA."""
    due = outstanding_deadline(case)
    return due if due is not None and now >= due else None


def escalation_start(
    case: SlaView, now: datetime, snoozed_until: datetime | None
) -> datetime | None:
    """Return when the escalation clock of the current breach started, None while none runs.

    A snooze holds the chain: nothing is sent before it ends, and the steps not taken yet are
    then counted from its end, so waking up does not fire every step at once.
    """
    started = breach_start(case, now)
    if started is None or snoozed_until is None:
        return started
    if now < snoozed_until:
        return None
    return max(started, snoozed_until)


def steps_due(
    started: datetime, now: datetime, chain: tuple[EscalationStep, ...], done: int
) -> list[int]:
    """Return the 1-based escalation steps due by `now` that have not been taken yet."""
    return [
        number
        for number, step in enumerate(chain, start=1)
        if number > done and now >= started + step.after
    ]


def sla_state(case: SlaView, now: datetime, due_soon: timedelta) -> SlaState:
    """Classify a case for the queue: on track, due soon, overdue, paused, or met/missed."""
    if case.status == CaseStatus.WAITING:
        return SlaState.PAUSED
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        if case.resolve_due_at is None or case.resolved_at is None:
            return SlaState.NONE
        return SlaState.MET if case.resolved_at <= case.resolve_due_at else SlaState.MISSED
    due = outstanding_deadline(case)
    if due is None:
        return SlaState.NONE
    if now >= due:
        return SlaState.OVERDUE
    return SlaState.DUE_SOON if due - now <= due_soon else SlaState.ON_TRACK


def policy_deadlines(
    config: DeskConfig, *, priority: str, touchpoint: str, created_at: datetime, team: str | None
) -> Deadlines | None:
    """Return the deadlines the config gives a case of a team, or None when no policy applies."""
    return deadlines_for(
        config.sla_rules, priority=priority, touchpoint=touchpoint, created_at=created_at,
        team=team,
    )  # fmt: skip
