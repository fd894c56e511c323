"""The closed loop: whether and how fast someone got back to the customer of each case.

Each case carries its first contact and its first reach (stamped as contacts are logged,
services/desk/models.py), so these KPIs read the period's cases alone, never the contacts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.desk.kpi_base import (
    Scope,
    Span,
    Table,
    created_in,
    group_column,
    hours,
    is_postgres,
    pct,
    seconds_between,
)
from services.desk.kpi_cases import p90_by_group
from shared.models import Case


def closed_loop(session: Session, period: Span, by: str, scope: Scope = None) -> Table:
    """Closed-loop rate (cases whose customer was contacted) and hours to the first contact.

    A contact is any logged attempt (phone, email...); `reached_pct` counts the attempts that
    reached the customer. Hours run from the case's creation to its first contact. PostgreSQL
    computes the p90 in the same pass (percentile_disc skips the cases never contacted).
    """
    group = group_column(by).label("grp")
    wait = seconds_between(session, Case.first_contact_at, Case.created_at)
    postgres = is_postgres(session)
    stats: list[tuple[Any, ...]] = [tuple(row) for row in session.execute(
        select(
            group, func.count(), func.count(Case.first_contact_at), func.count(Case.reached_at),
            func.avg(wait), *([func.percentile_disc(0.9).within_group(wait)] if postgres else []),
        ).where(created_in(period, scope)).group_by(group).order_by(group)
    )]  # fmt: skip
    if not postgres:
        p90 = p90_by_group(session, period, by, Case.first_contact_at, wait, scope)
        stats = [(*row, p90.get(row[0])) for row in stats]
    rows = [
        (g, n, c, r, pct(c, n), pct(r, n), hours(avg), hours(p)) for g, n, c, r, avg, p in stats
    ]
    columns = (by, "cases", "contacted", "reached", "closed_loop_pct", "reached_pct",
               "avg_first_contact_h", "p90_first_contact_h")  # fmt: skip
    return Table("closed_loop", "Closed loop: customer contacted, and how fast", columns, rows)
