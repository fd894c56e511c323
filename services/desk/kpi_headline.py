"""The wall's headline figures: one number each for a period, against the period before it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.desk.kpi_base import (
    Period,
    Scope,
    Table,
    count_if,
    created_in,
    hours,
    pct,
    resolution_seconds,
    seconds_between,
)
from services.desk.kpi_scores import period_scores
from shared.models import Case

HEADLINE = ("nps", "csat_avg", "ces_avg", "responses", "cases", "closed_loop_pct",
            "avg_first_contact_h", "avg_resolve_h", "escalation_pct")  # fmt: skip


def case_figures(session: Session, period: Period, scope: Scope) -> dict[str, Any]:
    """Cases, closed-loop rate, hours to first contact and to resolution, escalation rate."""
    contact_wait = seconds_between(session, Case.first_contact_at, Case.created_at)
    resolve_wait = resolution_seconds(session)
    n, contacted, escalated, avg_contact, avg_resolve = session.execute(
        select(func.count(), func.count(Case.first_contact_at),
               count_if(Case.escalation_step > 0), func.avg(contact_wait),
               func.avg(resolve_wait)).where(created_in(period, scope))
    ).one()  # fmt: skip
    return {
        "cases": int(n),
        "closed_loop_pct": pct(int(contacted), int(n)),
        "avg_first_contact_h": hours(avg_contact),
        "avg_resolve_h": hours(avg_resolve),
        "escalation_pct": pct(int(escalated or 0), int(n)),
    }


def headline(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """The wall figures for the period against the period of the same length before it.

    Not split by `by`: a headline is one number each. `change` is current minus previous.
    """
    figures = []
    for p in (period, period.previous()):
        n, nps, csat, ces = period_scores(session, p, scope)
        figures.append({"nps": nps, "csat_avg": csat, "ces_avg": ces, "responses": n}
                       | case_figures(session, p, scope))  # fmt: skip
    now, before = figures
    rows = []
    for metric in HEADLINE:
        a, b = now[metric], before[metric]
        change = None if a is None or b is None else round(a - b, 2)
        rows.append((metric, a, b, change))
    return Table("headline", "Headline figures and their trend",
                 ("metric", "current", "previous", "change"), rows)  # fmt: skip
