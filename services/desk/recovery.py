"""Recovery KPIs: of the customers who were detractors at first, how many say we fixed it.

Recovery rate is the share of follow-up answers that are satisfied among the cases whose own
response was a detractor or dissatisfied. Like every KPI it covers the cases created in the
period, split by touchpoint or owner (`by`), or by root cause; a scope keeps it to one owner's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from services.desk.kpi_base import (
    Period,
    Scope,
    Span,
    Table,
    count_if,
    created_in,
    group_column,
    pct,
)
from shared.followups.models import FollowUp, FollowUpStatus
from shared.models import Case

COLUMNS = ("asked", "answered", "detractor_answers", "recovered", "recovery_pct")


def _stats(session: Session, period: Period, group: Any, scope: Scope) -> list[tuple[Any, ...]]:
    asked = FollowUp.status.in_((FollowUpStatus.SENT, FollowUpStatus.ANSWERED))
    answered = FollowUp.status == FollowUpStatus.ANSWERED
    from_detractor = and_(answered, FollowUp.detractor.is_(True))
    rows = session.execute(
        select(
            group, count_if(asked), count_if(answered), count_if(from_detractor),
            count_if(and_(from_detractor, FollowUp.satisfied.is_(True))),
        ).select_from(Case).join(FollowUp, FollowUp.case_id == Case.id)
        # A follow-up is made after its case: the bound reads only the period's follow-ups.
        .where(created_in(period, scope), FollowUp.created_at >= period.since)
        .group_by(group).order_by(group)
    ).all()  # fmt: skip
    out = []
    for g, *counts in rows:
        n_asked, n_answered, n_detractors, n_recovered = (int(c or 0) for c in counts)
        recovery = pct(n_recovered, n_detractors)
        out.append((g, n_asked, n_answered, n_detractors, n_recovered, recovery))
    return out


def recovery(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """Follow-ups asked and answered, and the recovery rate, per touchpoint or owner."""
    rows = _stats(session, period, group_column(by).label("grp"), scope)
    return Table("recovery", "Did we fix it? Recovery of detractors", (by, *COLUMNS), rows)


def answered_in(session: Session, span: Span, scope: Scope = None) -> float | None:
    """Recovery rate of the answers received in the span (a digest's day or week), whenever their
    case was opened; None when no detractor answered in it."""
    answered = and_(
        FollowUp.status == FollowUpStatus.ANSWERED, FollowUp.detractor.is_(True),
        FollowUp.answered_at >= span.since, FollowUp.answered_at < span.until,
    )  # fmt: skip
    query = (
        select(func.count(), count_if(FollowUp.satisfied.is_(True)))
        .select_from(FollowUp)
        .join(Case, FollowUp.case_id == Case.id)
        .where(answered)
    )
    if scope is not None:
        query = query.where(scope)
    detractors, recovered = session.execute(query).one()
    return pct(int(recovered or 0), int(detractors or 0))


def by_root_cause(session: Session, period: Period, by: str, scope: Scope = None) -> Table:
    """The same figures per root cause of the resolved cases (whatever `by` says)."""
    cause = func.coalesce(Case.root_cause, "none").label("root_cause")
    rows = _stats(session, period, cause, scope)
    return Table("recovery_by_root_cause", "Recovery of detractors by root cause",
                 ("root_cause", *COLUMNS), rows)  # fmt: skip
