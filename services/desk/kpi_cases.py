"""KPIs read from the cases alone: volume, response times, escalations, SLAs, backlog, causes.

Percentile p90 is the nearest-rank one: the smallest value with at least 90% of the values at
or below it (PostgreSQL's percentile_disc; window functions on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from services.desk.kpi_base import (
    Period,
    Scope,
    Span,
    Table,
    count_if,
    created_in,
    group_column,
    hours,
    is_postgres,
    iso_day,
    pct,
    resolution_seconds,
    seconds_between,
    utc_day,
)
from shared.enums import UNRESOLVED_CASE_STATUSES, CaseStatus
from shared.models import Case

AGE_BUCKETS = (("under_1d", 1), ("1d_to_3d", 3), ("3d_to_7d", 7))


def complaints_per_day(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Cases opened per day."""
    day, group = utc_day(session, Case.created_at).label("day"), group_column(by).label("grp")
    counts = session.execute(
        select(day, group, func.count())
        .where(created_in(period, scope))
        .group_by(day, group)
        .order_by(day, group)
    ).all()
    rows = [(iso_day(d), g, n) for d, g, n in counts]
    return Table("complaints_per_day", "Complaints per day", ("day", by, "cases"), rows)


def p90_by_group(
    session: Session, period: Span, by: str, done: Any, seconds: Any, scope: Scope,
    joined: Callable[[Any], Any] = lambda query: query,
) -> dict[Any, float]:  # fmt: skip
    """The nearest-rank p90 of `seconds` per group, over the period's cases where `done` is set.

    `joined` adds the joins `seconds` needs to a query on cases. PostgreSQL callers put
    percentile_disc in their own query instead when they can (it skips NULLs by itself).
    """
    group = group_column(by)
    if is_postgres(session):
        # percentile_disc is the nearest-rank percentile, computed in one sort per group.
        query = joined(
            select(group, func.percentile_disc(0.9).within_group(seconds)).select_from(Case)
        )
        query = query.where(created_in(period, scope), done.is_not(None)).group_by(group)
        return {g: v for g, v in session.execute(query)}
    ranked = (
        joined(
            select(
                group.label("grp"),
                seconds.label("d"),
                func.row_number().over(partition_by=group, order_by=seconds).label("rn"),
                func.count().over(partition_by=group).label("n"),
            ).select_from(Case)
        )
        .where(created_in(period, scope), done.is_not(None))
        .subquery()
    )
    query = (
        select(ranked.c.grp, func.min(ranked.c.d))
        .where(ranked.c.rn * 10 >= ranked.c.n * 9)
        .group_by(ranked.c.grp)
    )
    return {g: v for g, v in session.execute(query)}


def response_times(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Average and p90 hours from case creation to acknowledgement and to resolution.

    PostgreSQL computes it all in one pass over the period's cases (percentile_disc skips the
    NULLs of cases not yet acknowledged or resolved); SQLite ranks in two more queries.
    """
    group = group_column(by).label("grp")
    ack = seconds_between(session, Case.acknowledged_at, Case.created_at)
    res = resolution_seconds(session)
    postgres = is_postgres(session)
    p90s = [func.percentile_disc(0.9).within_group(ack),
            func.percentile_disc(0.9).within_group(res)] if postgres else []  # fmt: skip
    stats: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(
        select(
            group, func.count(), func.count(Case.acknowledged_at), func.avg(ack),
            func.count(Case.resolved_at), func.avg(res), *p90s,
        ).where(created_in(period, scope)).group_by(group).order_by(group)
    )]  # fmt: skip
    if not postgres:
        p90_ack = p90_by_group(session, period, by, Case.acknowledged_at, ack, scope)
        p90_res = p90_by_group(session, period, by, Case.resolved_at, res, scope)
        stats = [(*row, p90_ack.get(row[0]), p90_res.get(row[0])) for row in stats]
    rows = [
        (g, n, n_ack, hours(avg_ack), hours(p_ack), n_res, hours(avg_res), hours(p_res))
        for g, n, n_ack, avg_ack, n_res, avg_res, p_ack, p_res in stats
    ]
    columns = (by, "cases", "acknowledged", "avg_ack_h", "p90_ack_h", "resolved",
               "avg_resolve_h", "p90_resolve_h")  # fmt: skip
    return Table("response_times", "Time to acknowledge and resolve (hours)", columns, rows)


def escalations(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Share of cases that were escalated at least once."""
    group = group_column(by).label("grp")
    stats = session.execute(
        select(group, func.count(), count_if(Case.escalation_step > 0))
        .where(created_in(period, scope)).group_by(group).order_by(group)
    ).all()  # fmt: skip
    rows = [(g, n, int(e or 0), pct(int(e or 0), n)) for g, n, e in stats]
    return Table("escalations", "Escalation rate", (by, "cases", "escalated", "rate_pct"), rows)


def sla_compliance(
    session: Session, period: Period, by: str, now: datetime, scope: Scope = None
) -> Table:
    """Deadlines met among deadlines already decided (met, or passed without being met)."""
    group = group_column(by).label("grp")
    ack_met = and_(Case.acknowledged_at.is_not(None), Case.acknowledged_at <= Case.ack_due_at)
    ack_decided = and_(
        Case.ack_due_at.is_not(None), (Case.acknowledged_at.is_not(None)) | (Case.ack_due_at <= now)
    )
    res_met = and_(Case.resolved_at.is_not(None), Case.resolved_at <= Case.resolve_due_at)
    # A case waiting on the customer has not missed its deadline: its clock is paused.
    passed = and_(Case.resolve_due_at <= now, Case.status != CaseStatus.WAITING)
    res_decided = and_(Case.resolve_due_at.is_not(None), res_met | passed)
    stats = session.execute(
        select(
            group, count_if(ack_decided), count_if(and_(ack_decided, ack_met)),
            count_if(res_decided), count_if(and_(res_decided, res_met)),
        ).where(created_in(period, scope)).group_by(group).order_by(group)
    ).all()  # fmt: skip
    rows = []
    for g, a_n, a_met, r_n, r_met in stats:
        a_n, a_met, r_n, r_met = (int(v or 0) for v in (a_n, a_met, r_n, r_met))
        rows.append((g, a_n, a_met, pct(a_met, a_n), r_n, r_met, pct(r_met, r_n)))
    columns = (by, "ack_due", "ack_met", "ack_pct", "resolve_due", "resolve_met", "resolve_pct")
    return Table("sla_compliance", "SLA compliance", columns, rows)


def backlog_by_age(session: Session, by: str, now: datetime, scope: Scope = None) -> Table:
    """Cases open now, by how long they have been open."""
    group = group_column(by).label("grp")
    buckets = [count_if(Case.created_at > now - timedelta(days=days)) for _, days in AGE_BUCKETS]
    stats = session.execute(
        select(group, func.count(), *buckets)
        .where(Case.status.in_(UNRESOLVED_CASE_STATUSES), scope if scope is not None else true())
        .group_by(group).order_by(group)
    ).all()  # fmt: skip
    rows = []
    for g, total, *cumulative in stats:
        counts = [int(c or 0) for c in cumulative]
        split = [counts[0], counts[1] - counts[0], counts[2] - counts[1], total - counts[2]]
        rows.append((g, *split, total))
    columns = (by, *(name for name, _ in AGE_BUCKETS), "over_7d", "open")
    return Table("backlog_by_age", "Open backlog by age", columns, rows)


def root_causes(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Root causes of the resolved cases, per touchpoint (whatever `by` says), most frequent first.

    `share_pct` is the cause's share of the touchpoint's resolved cases.
    """
    stats = session.execute(
        select(Case.touchpoint, Case.root_cause, func.count())
        .where(created_in(period, scope), Case.root_cause.is_not(None))
        .group_by(Case.touchpoint, Case.root_cause)
    ).all()
    totals: dict[str, int] = {}
    for touchpoint, _cause, n in stats:
        totals[touchpoint] = totals.get(touchpoint, 0) + n
    ordered = sorted(stats, key=lambda r: (-totals[r[0]], r[0], -r[2], r[1]))
    rows = [(t, c, n, pct(n, totals[t])) for t, c, n in ordered]
    return Table("root_causes", "Root causes per touchpoint (resolved cases)",
                 ("touchpoint", "root_cause", "cases", "share_pct"), rows)  # fmt: skip
