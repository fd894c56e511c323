"""The numbers behind a digest, read from the database for a team's or an owner's cases.

Open cases reuse the KPI backlog table and the queue's SLA-state expression, the closed-loop
rate the KPI table, scoping the queue's team filter and the owners' access rule, so a digest
never disagrees with the desk. Breaches and themes are counted by when they happened in the
digest's span (a deadline passing unmet, a root cause recorded), which no KPI table does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from services.desk import kpis, recovery
from services.desk.access import visible_cases
from services.desk.config import DeskConfig
from services.desk.models import User
from services.desk.queue import QueueFilter, conditions, sla_expression
from shared.enums import OPEN_CASE_STATUSES
from shared.models import Case

BREACHES_LISTED = 5
THEMES_LISTED = 10


@dataclass(frozen=True)
class Window:
    """An exact stretch of time [since, until): a kpis.Span, as the KPI queries take it."""

    since: datetime
    until: datetime


@dataclass(frozen=True)
class Breach:
    """One deadline missed in the span: which case, which deadline, when it passed."""

    case_id: int
    touchpoint: str
    priority: str
    deadline: str  # "acknowledge" or "resolve"
    due_at: datetime


@dataclass(frozen=True)
class Figures:
    """Plain values for one digest; `recovery_pct` None: no detractor answered a follow-up."""

    open_by_age: tuple[tuple[str, int], ...]
    open_by_sla: tuple[tuple[str, int], ...]
    ack_breaches: int
    resolve_breaches: int
    breaches: tuple[Breach, ...]
    new_themes: tuple[tuple[str, str, int], ...]  # touchpoint, root cause, cases
    cases: int  # opened in the span
    contacted: int
    closed_loop_pct: float | None
    recovery_pct: float | None

    @property
    def open_total(self) -> int:
        """Cases open when the digest was built."""
        return sum(n for _, n in self.open_by_age)


def team_scope(team: str, *, config: DeskConfig, now: datetime) -> ColumnElement[Any]:
    """The team's cases, exactly as the queue's team filter selects them."""
    return and_(*conditions(QueueFilter(status=(), team=(team,)), now=now, config=config))


def owner_scope(user: User, *, config: DeskConfig) -> ColumnElement[Any]:
    """An owner's cases as their KPI page counts them: assigned to them or to their team."""
    return visible_cases(user, config)


def recovery_rate(session: Session, span: Window, scope: ColumnElement[Any]) -> float | None:
    """Share of the detractors who answered a follow-up in the span and say it was fixed; None
    when none answered."""
    return recovery.answered_in(session, span, scope)


def _breaches(
    session: Session, span: Window, scope: ColumnElement[Any]
) -> tuple[int, int, tuple[Breach, ...]]:
    """Deadlines that passed unmet in the span (a case may miss both), and the worst few."""
    ack = and_(
        Case.ack_due_at >= span.since, Case.ack_due_at < span.until,
        or_(Case.acknowledged_at.is_(None), Case.acknowledged_at > Case.ack_due_at),
    )  # fmt: skip
    res = and_(
        Case.resolve_due_at >= span.since, Case.resolve_due_at < span.until,
        or_(Case.resolved_at.is_(None), Case.resolved_at > Case.resolve_due_at),
    )  # fmt: skip
    rows = session.execute(
        select(Case.id, Case.touchpoint, Case.priority, Case.ack_due_at, Case.resolve_due_at,
               case((ack, 1), else_=0), case((res, 1), else_=0))
        .where(or_(ack, res), scope)
    ).all()  # fmt: skip
    listed = []
    for case_id, touchpoint, priority, ack_due, res_due, ack_missed, res_missed in rows:
        if res_missed:
            listed.append(Breach(case_id, touchpoint, priority, "resolve", res_due))
        if ack_missed:
            listed.append(Breach(case_id, touchpoint, priority, "acknowledge", ack_due))
    acks = sum(1 for b in listed if b.deadline == "acknowledge")
    listed.sort(key=lambda b: (b.priority, -b.due_at.timestamp(), b.case_id))
    return acks, len(listed) - acks, tuple(listed[:BREACHES_LISTED])


def _causes(
    session: Session, span: Window, scope: ColumnElement[Any]
) -> dict[tuple[str, str], int]:
    """Root causes recorded on cases resolved in the span, per touchpoint."""
    rows = session.execute(
        select(Case.touchpoint, Case.root_cause, func.count())
        .where(Case.resolved_at >= span.since, Case.resolved_at < span.until,
               Case.root_cause.is_not(None), scope)
        .group_by(Case.touchpoint, Case.root_cause)
    ).all()  # fmt: skip
    return {(str(t), str(c)): int(n) for t, c, n in rows}


def new_themes(
    session: Session, span: Window, scope: ColumnElement[Any], lookback: timedelta
) -> tuple[tuple[str, str, int], ...]:
    """Root causes (per touchpoint) recorded in the span that none of the lookback before had."""
    before = _causes(session, Window(span.since - lookback, span.since), scope)
    fresh = [
        (t, c, n) for (t, c), n in _causes(session, span, scope).items() if (t, c) not in before
    ]
    return tuple(sorted(fresh, key=lambda x: (-x[2], x[0], x[1]))[:THEMES_LISTED])


def collect(
    session: Session,
    *,
    scope: ColumnElement[Any],
    span: Window,
    now: datetime,
    config: DeskConfig,
) -> Figures:
    """Read every figure of one digest over the scope's cases."""
    backlog = kpis.backlog_by_age(session, "all", now, scope)
    ages = backlog.rows[0][1:-1] if backlog.rows else (0, 0, 0, 0)
    by_age = tuple(zip(backlog.columns[1:-1], (int(n) for n in ages), strict=True))
    state = sla_expression(now, config.due_soon)
    by_sla = session.execute(
        select(state, func.count())
        .where(Case.status.in_(OPEN_CASE_STATUSES), scope)
        .group_by(state)
        .order_by(state)
    ).all()
    acks, resolves, listed = _breaches(session, span, scope)
    loop = kpis.closed_loop(session, span, "all", scope).rows
    cases, contacted, pct = (loop[0][1], loop[0][2], loop[0][4]) if loop else (0, 0, None)
    return Figures(
        open_by_age=by_age,
        open_by_sla=tuple((str(s), int(n)) for s, n in by_sla),
        ack_breaches=acks,
        resolve_breaches=resolves,
        breaches=listed,
        new_themes=new_themes(session, span, scope, config.digests.themes_lookback),
        cases=int(cases),
        contacted=int(contacted),
        closed_loop_pct=pct,
        recovery_pct=recovery_rate(session, span, scope),
    )
