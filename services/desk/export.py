"""CSV exports of cases and KPI tables, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.desk.kpis import Table

CASE_COLUMNS = ("id", "status", "priority", "touchpoint", "owner", "team", "assignee",
                "created_at", "ack_due_at", "resolve_due_at", "sla_state", "escalation_step",
                "nps", "csat", "ces", "respondent", "comment")  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """Render one value; text that a spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return value.get("email", "")
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def to_csv(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """Write a header and rows as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def cases_csv(items: list[dict[str, Any]]) -> str:
    """Cases as CSV, one row per case."""
    return to_csv(CASE_COLUMNS, ([item[c] for c in CASE_COLUMNS] for item in items))


def table_csv(table: Table) -> str:
    """One KPI table as CSV."""
    return to_csv(table.columns, table.rows)
