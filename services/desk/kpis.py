"""KPIs for champions, as tables of plain values computed in portable SQL (SQLite, PostgreSQL).

Every KPI covers cases created (or responses submitted) in a period [start, end), optionally
split by touchpoint or owner, and only the cases a `scope` condition selects (an owner's KPIs
cover their own cases; None means every case). Percentile p90 is the nearest-rank one: the
smallest value with at least 90% of the values at or below it (PostgreSQL's percentile_disc;
window functions on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column, select, true
from sqlalchemy.orm import Session

from shared.enums import OPEN_CASE_STATUSES
from shared.models import Case, Response

GROUPS = ("all", "touchpoint", "owner")
AGE_BUCKETS = (("under_1d", 1), ("1d_to_3d", 3), ("3d_to_7d", 7))


@dataclass(frozen=True)
class Period:
    """Days from `start` up to and including `end` (UTC)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        """First instant of the period."""
        return datetime.combine(self.start, time.min, UTC)

    @property
    def until(self) -> datetime:
        """First instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)


@dataclass(frozen=True)
class Table:
    """One KPI table: a name for URLs and CSV files, a title, columns and rows."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        # date_part is double precision: averaging and sorting it is several times cheaper
        # than extract's numeric at tens of thousands of cases.
        return func.date_part("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _day(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC day of a timestamp; `_iso` makes it the same YYYY-MM-DD text on both databases.

    On PostgreSQL it is a date, grouped by hash thanks to the day statistics of migration 0009
    (the expression must stay exactly theirs); to_char's text cost twice as much per case.
    """
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(literal_column("'UTC'"), column))
    return func.strftime("%Y-%m-%d", column)


def _iso(day: Any) -> str:
    return day.isoformat() if isinstance(day, date) else str(day)


def _group(by: str) -> ColumnElement[Any]:
    if by not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}")
    return literal("all") if by == "all" else getattr(Case, by)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


Scope = ColumnElement[Any] | None


def _in(period: Period, scope: Scope = None) -> Any:
    inside = and_(Case.created_at >= period.since, Case.created_at < period.until)
    return inside if scope is None else and_(inside, scope)


def complaints_per_day(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Cases opened per day."""
    day, group = _day(session, Case.created_at).label("day"), _group(by).label("grp")
    counts = session.execute(
        select(day, group, func.count())
        .where(_in(period, scope))
        .group_by(day, group)
        .order_by(day, group)
    ).all()
    rows = [(_iso(d), g, n) for d, g, n in counts]
    return Table("complaints_per_day", "Complaints per day", ("day", by, "cases"), rows)


def _p90(
    session: Session, period: Period, by: str, done: Any, seconds: Any, scope: Scope
) -> dict[Any, float]:
    """Nearest-rank p90 per group with window functions (SQLite has no percentile_disc)."""
    group = _group(by)
    ranked = (
        select(
            group.label("grp"),
            seconds.label("d"),
            func.row_number().over(partition_by=group, order_by=seconds).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(_in(period, scope), done.is_not(None))
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
    group = _group(by).label("grp")
    ack = _seconds(session, Case.acknowledged_at, Case.created_at)
    res = _seconds(session, Case.resolved_at, Case.created_at)
    postgres = session.get_bind().dialect.name == "postgresql"
    p90s = [func.percentile_disc(0.9).within_group(ack),
            func.percentile_disc(0.9).within_group(res)] if postgres else []  # fmt: skip
    stats: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(
        select(
            group, func.count(), func.count(Case.acknowledged_at), func.avg(ack),
            func.count(Case.resolved_at), func.avg(res), *p90s,
        ).where(_in(period, scope)).group_by(group).order_by(group)
    )]  # fmt: skip
    if not postgres:
        p90_ack = _p90(session, period, by, Case.acknowledged_at, ack, scope)
        p90_res = _p90(session, period, by, Case.resolved_at, res, scope)
        stats = [(*row, p90_ack.get(row[0]), p90_res.get(row[0])) for row in stats]
    rows = [
        (g, n, n_ack, _hours(avg_ack), _hours(p_ack), n_res, _hours(avg_res), _hours(p_res))
        for g, n, n_ack, avg_ack, n_res, avg_res, p_ack, p_res in stats
    ]
    columns = (by, "cases", "acknowledged", "avg_ack_h", "p90_ack_h", "resolved",
               "avg_resolve_h", "p90_resolve_h")  # fmt: skip
    return Table("response_times", "Time to acknowledge and resolve (hours)", columns, rows)


def _count_if(condition: Any) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def escalations(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Share of cases that were escalated at least once."""
    group = _group(by).label("grp")
    stats = session.execute(
        select(group, func.count(), _count_if(Case.escalation_step > 0))
        .where(_in(period, scope)).group_by(group).order_by(group)
    ).all()  # fmt: skip
    rows = [(g, n, int(e or 0), _pct(int(e or 0), n)) for g, n, e in stats]
    return Table("escalations", "Escalation rate", (by, "cases", "escalated", "rate_pct"), rows)


def sla_compliance(
    session: Session, period: Period, by: str, now: datetime, scope: Scope = None
) -> Table:
    """Deadlines met among deadlines already decided (met, or passed without being met)."""
    group = _group(by).label("grp")
    ack_met = and_(Case.acknowledged_at.is_not(None), Case.acknowledged_at <= Case.ack_due_at)
    ack_decided = and_(
        Case.ack_due_at.is_not(None), (Case.acknowledged_at.is_not(None)) | (Case.ack_due_at <= now)
    )
    res_met = and_(Case.resolved_at.is_not(None), Case.resolved_at <= Case.resolve_due_at)
    res_decided = and_(Case.resolve_due_at.is_not(None), res_met | (Case.resolve_due_at <= now))
    stats = session.execute(
        select(
            group, _count_if(ack_decided), _count_if(and_(ack_decided, ack_met)),
            _count_if(res_decided), _count_if(and_(res_decided, res_met)),
        ).where(_in(period, scope)).group_by(group).order_by(group)
    ).all()  # fmt: skip
    rows = []
    for g, a_n, a_met, r_n, r_met in stats:
        a_n, a_met, r_n, r_met = (int(v or 0) for v in (a_n, a_met, r_n, r_met))
        rows.append((g, a_n, a_met, _pct(a_met, a_n), r_n, r_met, _pct(r_met, r_n)))
    columns = (by, "ack_due", "ack_met", "ack_pct", "resolve_due", "resolve_met", "resolve_pct")
    return Table("sla_compliance", "SLA compliance", columns, rows)


def backlog_by_age(session: Session, by: str, now: datetime, scope: Scope = None) -> Table:
    """Cases open now, by how long they have been open."""
    group = _group(by).label("grp")
    buckets = [_count_if(Case.created_at > now - timedelta(days=days)) for _, days in AGE_BUCKETS]
    stats = session.execute(
        select(group, func.count(), *buckets)
        .where(Case.status.in_(OPEN_CASE_STATUSES), scope if scope is not None else true())
        .group_by(group).order_by(group)
    ).all()  # fmt: skip
    rows = []
    for g, total, *cumulative in stats:
        counts = [int(c or 0) for c in cumulative]
        split = [counts[0], counts[1] - counts[0], counts[2] - counts[1], total - counts[2]]
        rows.append((g, *split, total))
    columns = (by, *(name for name, _ in AGE_BUCKETS), "over_7d", "open")
    return Table("backlog_by_age", "Open backlog by age", columns, rows)


def score_trends(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """NPS, average CSAT and CES per day over all responses, or over a scope's cases' responses.

    SQL groups by the plain columns (which PostgreSQL counts into a small hash table, where a
    COALESCE of two tables' columns made it sort every response); the few hundred groups are
    merged here into the table's groups.
    """
    day = _day(session, Response.submitted_at).label("day")
    _group(by)  # refuses an unknown group
    keys: list[Any] = {"all": [], "touchpoint": [Case.touchpoint, Response.touchpoint]}.get(
        by, [Case.owner]
    )
    query = select(
        day,
        *keys,
        func.count(),
        func.count(Response.nps),
        _count_if(Response.nps >= 9),
        _count_if(Response.nps <= 6),
        func.sum(Response.csat),
        func.count(Response.csat),
        func.sum(Response.ces),
        func.count(Response.ces),
    ).where(Response.submitted_at >= period.since, Response.submitted_at < period.until)
    # A case is opened after its response arrives; the bound lets the join use the
    # cases' creation index (a day of slack covers a survey tool's clock skew).
    opened = Case.created_at >= period.since - timedelta(days=1)
    if scope is not None:  # only responses that became one of the scope's cases
        query = query.join(Case, and_(Case.response_id == Response.id, opened, scope))
    elif by != "all":
        query = query.outerjoin(Case, and_(Case.response_id == Response.id, opened))
    fallback = "unknown" if by == "touchpoint" else "none"
    merged: dict[tuple[str, Any], list[int]] = {}
    for d, *values in session.execute(query.group_by(day, *keys)):
        raw, sums = values[: len(keys)], values[len(keys) :]
        group = "all" if by == "all" else next((k for k in raw if k is not None), fallback)
        total = merged.setdefault((_iso(d), group), [0] * len(sums))
        for i, value in enumerate(sums):
            total[i] += int(value or 0)
    rows = []
    for (d, g), (n, n_nps, promoters, detractors, csat, n_csat, ces, n_ces) in sorted(
        merged.items()
    ):
        nps = round(100.0 * (promoters - detractors) / n_nps, 1) if n_nps else None
        rows.append((d, g, n, nps, _mean(csat, n_csat), _mean(ces, n_ces)))
    columns = ("day", by, "responses", "nps", "csat_avg", "ces_avg")
    return Table("score_trends", "NPS, CSAT and CES per day", columns, rows)


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


TABLES: dict[str, Callable[..., Table]] = {  # (session, period, by, now, scope=None)
    "complaints_per_day": lambda s, p, by, now, sc=None: complaints_per_day(s, p, by, sc),
    "response_times": lambda s, p, by, now, sc=None: response_times(s, p, by, sc),
    "escalations": lambda s, p, by, now, sc=None: escalations(s, p, by, sc),
    "sla_compliance": sla_compliance,
    "backlog_by_age": lambda s, p, by, now, sc=None: backlog_by_age(s, by, now, sc),
    "score_trends": lambda s, p, by, now, sc=None: score_trends(s, p, by, sc),
}


def all_tables(
    session: Session, period: Period, by: str, now: datetime, scope: Scope = None
) -> list[Table]:
    """Compute every KPI table over the scope's cases (None: every case)."""
    return [compute(session, period, by, now, scope) for compute in TABLES.values()]
