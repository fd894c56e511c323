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
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column, select, true
from sqlalchemy.orm import Session

from services.desk.enums import ContactOutcome
from services.desk.models import Contact
from shared.enums import UNRESOLVED_CASE_STATUSES, CaseStatus
from shared.models import Case, Response

GROUPS = ("all", "touchpoint", "owner")
AGE_BUCKETS = (("under_1d", 1), ("1d_to_3d", 3), ("3d_to_7d", 7))


class Span(Protocol):
    """A stretch of time [since, until): a Period of whole UTC days, or a digest's local day."""

    @property
    def since(self) -> datetime: ...  # the first instant
    @property
    def until(self) -> datetime: ...  # the first instant after


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

    @property
    def days(self) -> list[str]:
        """Every day of the period as YYYY-MM-DD, so charts keep days without data."""
        return [
            (self.start + timedelta(days=n)).isoformat()
            for n in range((self.end - self.start).days + 1)
        ]

    def previous(self) -> Period:
        """The period of the same length just before this one: what a trend compares with."""
        length = self.end - self.start + timedelta(days=1)
        return Period(self.start - length, self.end - length)


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


def _resolution_seconds(session: Session) -> ColumnElement[Any]:
    """Creation to resolution, less the time spent waiting on the customer."""
    return _seconds(session, Case.resolved_at, Case.created_at) - Case.paused_seconds


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


def _in(period: Span, scope: Scope = None) -> Any:
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
    session: Session, period: Span, by: str, done: Any, seconds: Any, scope: Scope,
    joined: Callable[[Any], Any] = lambda query: query,
) -> dict[Any, float]:  # fmt: skip
    group = _group(by)
    if session.get_bind().dialect.name == "postgresql":
        # percentile_disc is the nearest-rank percentile, computed in one sort per group.
        query = joined(
            select(group, func.percentile_disc(0.9).within_group(seconds)).select_from(Case)
        )
        query = query.where(_in(period, scope), done.is_not(None)).group_by(group)
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
    res = _resolution_seconds(session)
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


def _count_value(condition: Any) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _count_if(condition: Any) -> ColumnElement[int]:
    return func.sum(_count_value(condition))


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
    # A case waiting on the customer has not missed its deadline: its clock is paused.
    passed = and_(Case.resolve_due_at <= now, Case.status != CaseStatus.WAITING)
    res_decided = and_(Case.resolve_due_at.is_not(None), res_met | passed)
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


def _first_contacts(period: Span, scope: Scope) -> Any:
    """Per case of the period: when someone first got back to the customer, and whether anyone
    reached them (only those cases' contacts are read, through the contacts' case index)."""
    return (
        select(
            Contact.case_id.label("case_id"),
            func.min(Contact.at).label("first_at"),
            func.max(_count_value(Contact.outcome == ContactOutcome.REACHED)).label("reached"),
        )
        .where(Contact.case_id.in_(select(Case.id).where(_in(period, scope))))
        .group_by(Contact.case_id)
        .subquery()
    )


def closed_loop(session: Session, period: Span, by: str, scope: Scope = None) -> Table:
    """Closed-loop rate (cases whose customer was contacted) and hours to the first contact.

    A contact is any logged attempt (phone, email...); `reached_pct` counts the attempts that
    reached the customer. Hours run from the case's creation to its first contact.
    """
    group = _group(by).label("grp")
    first = _first_contacts(period, scope)
    wait = _seconds(session, first.c.first_at, Case.created_at)

    def joined(query: Any) -> Any:
        return query.outerjoin(first, first.c.case_id == Case.id)

    counts = select(
        group, func.count(), func.count(first.c.first_at),
        func.coalesce(func.sum(first.c.reached), 0), func.avg(wait),
    ).select_from(Case)  # fmt: skip
    stats = session.execute(
        joined(counts).where(_in(period, scope)).group_by(group).order_by(group)
    ).all()
    p90 = _p90(session, period, by, first.c.first_at, wait, scope, joined)
    rows = [
        (g, n, int(c), int(r), _pct(int(c), n), _pct(int(r), n), _hours(avg), _hours(p90.get(g)))
        for g, n, c, r, avg in stats
    ]
    columns = (by, "cases", "contacted", "reached", "closed_loop_pct", "reached_pct",
               "avg_first_contact_h", "p90_first_contact_h")  # fmt: skip
    return Table("closed_loop", "Closed loop: customer contacted, and how fast", columns, rows)


def root_causes(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Root causes of the resolved cases, per touchpoint (whatever `by` says), most frequent first.

    `share_pct` is the cause's share of the touchpoint's resolved cases.
    """
    stats = session.execute(
        select(Case.touchpoint, Case.root_cause, func.count())
        .where(_in(period, scope), Case.root_cause.is_not(None))
        .group_by(Case.touchpoint, Case.root_cause)
    ).all()
    totals: dict[str, int] = {}
    for touchpoint, _cause, n in stats:
        totals[touchpoint] = totals.get(touchpoint, 0) + n
    ordered = sorted(stats, key=lambda r: (-totals[r[0]], r[0], -r[2], r[1]))
    rows = [(t, c, n, _pct(n, totals[t])) for t, c, n in ordered]
    return Table("root_causes", "Root causes per touchpoint (resolved cases)",
                 ("touchpoint", "root_cause", "cases", "share_pct"), rows)  # fmt: skip


def _scores(
    session: Session, period: Period, scope: Scope
) -> tuple[int, float | None, float | None, float | None]:
    """Responses, NPS, average CSAT and CES over a period (a scope: its cases' responses)."""
    query = select(
        func.count(), func.count(Response.nps), _count_if(Response.nps >= 9),
        _count_if(Response.nps <= 6), func.avg(Response.csat), func.avg(Response.ces),
    )  # fmt: skip
    query = query.where(Response.submitted_at >= period.since, Response.submitted_at < period.until)
    if scope is not None:
        opened = Case.created_at >= period.since - timedelta(days=1)
        query = query.join(Case, and_(Case.response_id == Response.id, opened, scope))
    n, n_nps, promoters, detractors, csat, ces = session.execute(query).one()
    nps = _pct(int(promoters or 0) - int(detractors or 0), n_nps)
    return int(n), nps, _round(csat), _round(ces)


def _case_figures(session: Session, period: Period, scope: Scope) -> dict[str, Any]:
    first = _first_contacts(period, scope)
    contact_wait = _seconds(session, first.c.first_at, Case.created_at)
    resolve_wait = _resolution_seconds(session)
    n, contacted, escalated, avg_contact, avg_resolve = session.execute(
        select(func.count(), func.count(first.c.first_at), _count_if(Case.escalation_step > 0),
               func.avg(contact_wait), func.avg(resolve_wait))
        .select_from(Case).outerjoin(first, first.c.case_id == Case.id).where(_in(period, scope))
    ).one()  # fmt: skip
    return {
        "cases": int(n),
        "closed_loop_pct": _pct(int(contacted), int(n)),
        "avg_first_contact_h": _hours(avg_contact),
        "avg_resolve_h": _hours(avg_resolve),
        "escalation_pct": _pct(int(escalated or 0), int(n)),
    }


HEADLINE = ("nps", "csat_avg", "ces_avg", "responses", "cases", "closed_loop_pct",
            "avg_first_contact_h", "avg_resolve_h", "escalation_pct")  # fmt: skip


def headline(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """The wall figures for the period against the period of the same length before it.

    Not split by `by`: a headline is one number each. `change` is current minus previous.
    """
    figures = []
    for p in (period, period.previous()):
        n, nps, csat, ces = _scores(session, p, scope)
        figures.append({"nps": nps, "csat_avg": csat, "ces_avg": ces, "responses": n}
                       | _case_figures(session, p, scope))  # fmt: skip
    now, before = figures
    rows = []
    for metric in HEADLINE:
        a, b = now[metric], before[metric]
        change = None if a is None or b is None else round(a - b, 2)
        rows.append((metric, a, b, change))
    return Table("headline", "Headline figures and their trend",
                 ("metric", "current", "previous", "change"), rows)  # fmt: skip


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _plain(rows: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in rows]


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


TABLES: dict[str, Callable[..., Table]] = {  # (session, period, by, now, scope=None)
    "headline": lambda s, p, by, now, sc=None: headline(s, p, by, sc),
    "complaints_per_day": lambda s, p, by, now, sc=None: complaints_per_day(s, p, by, sc),
    "response_times": lambda s, p, by, now, sc=None: response_times(s, p, by, sc),
    "escalations": lambda s, p, by, now, sc=None: escalations(s, p, by, sc),
    "sla_compliance": sla_compliance,
    "backlog_by_age": lambda s, p, by, now, sc=None: backlog_by_age(s, by, now, sc),
    "score_trends": lambda s, p, by, now, sc=None: score_trends(s, p, by, sc),
    "closed_loop": lambda s, p, by, now, sc=None: closed_loop(s, p, by, sc),
    "root_causes": lambda s, p, by, now, sc=None: root_causes(s, p, by, sc),
}
# Imported last: the recovery KPIs are built from this module's helpers.
from services.desk import recovery  # noqa: E402

TABLES["recovery"] = lambda s, p, by, now, sc=None: recovery.recovery(s, p, by, sc)
TABLES["recovery_by_root_cause"] = lambda s, p, by, now, sc=None: recovery.by_root_cause(
    s, p, by, sc
)


def all_tables(
    session: Session, period: Period, by: str, now: datetime, scope: Scope = None
) -> list[Table]:
    """Compute every KPI table over the scope's cases (None: every case)."""
    return [compute(session, period, by, now, scope) for compute in TABLES.values()]
