"""KPIs for champions, as tables of plain values computed in portable SQL (SQLite, PostgreSQL).

The tables live in modules by what they read: `kpi_cases` (the cases alone), `kpi_scores`
(survey responses), `kpi_contacts` (the closed loop), `kpi_headline` (the wall's figures) and
`recovery` (the follow-ups), on the shared pieces of `kpi_base`. This module names them all for
the views, the dashboard, the digests and the CSV exports.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from services.desk import recovery
from services.desk.kpi_base import GROUPS, Period, Scope, Span, Table
from services.desk.kpi_cases import (
    AGE_BUCKETS,
    backlog_by_age,
    complaints_per_day,
    escalations,
    response_times,
    root_causes,
    sla_compliance,
)
from services.desk.kpi_contacts import closed_loop
from services.desk.kpi_headline import HEADLINE, headline
from services.desk.kpi_scores import score_trends

__all__ = [
    "AGE_BUCKETS", "GROUPS", "HEADLINE", "TABLES", "Period", "Scope", "Span", "Table", "all_tables",
    "backlog_by_age", "closed_loop", "complaints_per_day", "escalations", "headline",
    "response_times", "root_causes", "score_trends", "sla_compliance",
]  # fmt: skip

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
    "recovery": lambda s, p, by, now, sc=None: recovery.recovery(s, p, by, sc),
    "recovery_by_root_cause": lambda s, p, by, now, sc=None: recovery.by_root_cause(s, p, by, sc),
}


def all_tables(
    session: Session, period: Period, by: str, now: datetime, scope: Scope = None
) -> list[Table]:
    """Compute every KPI table over the scope's cases (None: every case)."""
    return [compute(session, period, by, now, scope) for compute in TABLES.values()]
