"""KPIs read from the survey responses: NPS, CSAT and CES, per day or over a whole period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from services.desk.kpi_base import (
    CLOCK_SLACK,
    Period,
    Scope,
    Table,
    count_if,
    group_column,
    iso_day,
    mean,
    pct,
    rounded,
    utc_day,
)
from shared.models import Case, Response


def score_trends(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """NPS, average CSAT and CES per day over all responses, or over a scope's cases' responses.

    SQL groups by the plain columns (which PostgreSQL counts into a small hash table, where a
    COALESCE of two tables' columns made it sort every response); the few hundred groups are
    merged here into the table's groups.
    """
    day = utc_day(session, Response.submitted_at).label("day")
    group_column(by)  # refuses an unknown group
    keys: list[Any] = {"all": [], "touchpoint": [Case.touchpoint, Response.touchpoint]}.get(
        by, [Case.owner]
    )
    query = select(
        day,
        *keys,
        func.count(),
        func.count(Response.nps),
        count_if(Response.nps >= 9),
        count_if(Response.nps <= 6),
        func.sum(Response.csat),
        func.count(Response.csat),
        func.sum(Response.ces),
        func.count(Response.ces),
    ).where(Response.submitted_at >= period.since, Response.submitted_at < period.until)
    # A case is opened after its response arrives; the bound lets the join use the
    # cases' creation index.
    opened = Case.created_at >= period.since - CLOCK_SLACK
    if scope is not None:  # only responses that became one of the scope's cases
        query = query.join(Case, and_(Case.response_id == Response.id, opened, scope))
    elif by != "all":
        query = query.outerjoin(Case, and_(Case.response_id == Response.id, opened))
    fallback = "unknown" if by == "touchpoint" else "none"
    merged: dict[tuple[str, Any], list[int]] = {}
    for d, *values in session.execute(query.group_by(day, *keys)):
        raw, sums = values[: len(keys)], values[len(keys) :]
        group = "all" if by == "all" else next((k for k in raw if k is not None), fallback)
        total = merged.setdefault((iso_day(d), group), [0] * len(sums))
        for i, value in enumerate(sums):
            total[i] += int(value or 0)
    rows = []
    for (d, g), (n, n_nps, promoters, detractors, csat, n_csat, ces, n_ces) in sorted(
        merged.items()
    ):
        nps = round(100.0 * (promoters - detractors) / n_nps, 1) if n_nps else None
        rows.append((d, g, n, nps, mean(csat, n_csat), mean(ces, n_ces)))
    columns = ("day", by, "responses", "nps", "csat_avg", "ces_avg")
    return Table("score_trends", "NPS, CSAT and CES per day", columns, rows)


def period_scores(
    session: Session, period: Period, scope: Scope
) -> tuple[int, float | None, float | None, float | None]:
    """Responses, NPS, average CSAT and CES over a period (a scope: its cases' responses)."""
    query = select(
        func.count(), func.count(Response.nps), count_if(Response.nps >= 9),
        count_if(Response.nps <= 6), func.avg(Response.csat), func.avg(Response.ces),
    )  # fmt: skip
    query = query.where(Response.submitted_at >= period.since, Response.submitted_at < period.until)
    if scope is not None:
        opened = Case.created_at >= period.since - CLOCK_SLACK
        query = query.join(Case, and_(Case.response_id == Response.id, opened, scope))
    n, n_nps, promoters, detractors, csat, ces = session.execute(query).one()
    nps = pct(int(promoters or 0) - int(detractors or 0), n_nps)
    return int(n), nps, rounded(csat), rounded(ces)
