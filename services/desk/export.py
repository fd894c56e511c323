"""CSV exports of cases and KPI tables, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.desk.enums import ContactOutcome
from services.desk.kpis import Table
from services.desk.models import Contact
from shared.models import Case, CaseEvent

CASE_COLUMNS = ("id", "status", "priority", "touchpoint", "owner", "team", "assignee",
                "created_at", "ack_due_at", "resolve_due_at", "sla_state", "escalation_step",
                "nps", "csat", "ces", "respondent", "comment")  # fmt: skip
# Every lifecycle timestamp and the outcome, after the queue's columns (which keep their order).
LIFECYCLE_COLUMNS = ("acknowledged_at", "started_at", "first_contact_at", "last_contact_at",
                     "contacts", "customer_reached", "first_escalated_at", "last_escalated_at",
                     "reopened_at", "resolved_at", "closed_at", "root_cause",
                     "resolution_note")  # fmt: skip
# Timeline actions whose first and/or last time is a lifecycle timestamp.
EVENT_TIMES = {"start": ("started_at", None), "escalate": ("first_escalated_at",
               "last_escalated_at"), "reopen": (None, "reopened_at")}  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000


def cell(value: Any) -> Any:
    """Render one value; text that a spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return value.get("email", "")
    if isinstance(value, bool):
        return "yes" if value else "no"
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


def lifecycle(session: Session, case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per case: lifecycle timestamps, contacts, root cause and resolution note (a few queries
    per thousand cases, whatever the number of events)."""
    out: dict[int, dict[str, Any]] = {}
    from_reached = func.max(case((Contact.outcome == ContactOutcome.REACHED, 1), else_=0))
    for i in range(0, len(case_ids), CHUNK):
        ids = list(case_ids[i : i + CHUNK])
        for row in session.execute(
            select(Case.id, Case.acknowledged_at, Case.resolved_at, Case.closed_at,
                   Case.root_cause, Case.resolution_note).where(Case.id.in_(ids))
        ):  # fmt: skip
            out[row.id] = dict.fromkeys(LIFECYCLE_COLUMNS) | {
                "acknowledged_at": row.acknowledged_at, "resolved_at": row.resolved_at,
                "closed_at": row.closed_at, "root_cause": row.root_cause,
                "resolution_note": row.resolution_note, "contacts": 0,
                "customer_reached": False,
            }  # fmt: skip
        for case_id, first, last, n, reached in session.execute(
            select(Contact.case_id, func.min(Contact.at), func.max(Contact.at), func.count(),
                   from_reached).where(Contact.case_id.in_(ids)).group_by(Contact.case_id)
        ):  # fmt: skip
            out[case_id].update(first_contact_at=first, last_contact_at=last, contacts=n,
                                customer_reached=bool(reached))  # fmt: skip
        for case_id, action, first, last in session.execute(
            select(CaseEvent.case_id, CaseEvent.action, func.min(CaseEvent.at),
                   func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(ids), CaseEvent.action.in_(list(EVENT_TIMES)))
            .group_by(CaseEvent.case_id, CaseEvent.action)
        ):  # fmt: skip
            first_name, last_name = EVENT_TIMES[action]
            if first_name:
                out[case_id][first_name] = first
            if last_name:
                out[case_id][last_name] = last
    return out


def cases_csv(session: Session, items: list[dict[str, Any]]) -> str:
    """Cases as CSV, one row per case: the queue's columns, then the lifecycle's."""
    times = lifecycle(session, [item["id"] for item in items])
    empty = dict.fromkeys(LIFECYCLE_COLUMNS)
    return to_csv(
        CASE_COLUMNS + LIFECYCLE_COLUMNS,
        (
            [item[c] for c in CASE_COLUMNS]
            + [times.get(item["id"], empty)[c] for c in LIFECYCLE_COLUMNS]
            for item in items
        ),
    )


def table_csv(table: Table) -> str:
    """One KPI table as CSV."""
    return to_csv(table.columns, table.rows)
