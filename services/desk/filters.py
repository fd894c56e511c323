"""Turn validated request arguments into queue filters and KPI periods, with the user's scope."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import UnprocessableEntity

from services.desk import service
from services.desk.access import visible_cases
from services.desk.config import DeskConfig
from services.desk.kpis import Period
from services.desk.models import User
from services.desk.queue import QueueFilter

DEFAULT_DAYS = 30
SIMPLE = ("created_from", "created_to", "q", "sort", "limit", "cursor",
          "nps_min", "nps_max", "csat_min", "csat_max", "ces_min", "ces_max",
          "disagreement")  # fmt: skip
LISTS = ("status", "touchpoint", "priority", "owner", "team", "sla")
LABELS = {
    "status": "Status", "touchpoint": "Touchpoint", "priority": "Priority", "owner": "Owner",
    "team": "Team", "sla": "SLA", "assignee": "Assignee", "created_from": "Created from",
    "created_to": "Created to", "q": "Search", "sort": "Sort", "limit": "Page size",
    "cursor": "Page", "nps_min": "NPS at least", "nps_max": "NPS at most",
    "csat_min": "CSAT at least", "csat_max": "CSAT at most", "ces_min": "CES at least",
    "ces_max": "CES at most", "disagreement": "Score and comment disagree", "start": "From",
    "end": "To", "by": "Split by",
}  # fmt: skip


def queue_filter(
    session: Session, data: dict[str, Any], *, user: User, config: DeskConfig
) -> QueueFilter:
    """Build the queue filter from `QueueQuery` data, limited to what the user may see."""
    values: dict[str, Any] = {k: data[k] for k in SIMPLE if data.get(k) is not None}
    values.update({k: tuple(data.get(k) or ()) for k in LISTS})
    assignee = data.get("assignee")
    if assignee == "me":
        values["assignee_id"] = user.id
    elif assignee:
        found = service.find_assignee(session, email=assignee)
        values["assignee_id"] = found.id if found is not None else -1
    return QueueFilter(**values, scope=(visible_cases(user, config),))


def kpi_period(data: dict[str, Any], today: date) -> Period:
    """Return the KPI period asked for, by default the last 30 days up to today."""
    end = data.get("end") or today
    start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    return Period(start, end)


def query_args(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """Return the query string as lists, leaving out empty values (blank form fields)."""
    return {k: kept for k, values in args.lists() if (kept := [v for v in values if v.strip()])}


def load_leniently(schema: Schema, args: dict[str, list[str]]) -> tuple[dict[str, Any], list[str]]:
    """Load query arguments for a page, leaving out the bad ones; return them as notices.

    A page answers a mistyped filter with the page itself and a sentence saying what was
    ignored and why, instead of an error page holding a Python dict.
    """
    try:
        return schema.load(args), []
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    notices = [_notice(name, errors, args.get(name)) for name, errors in messages.items()]
    kept = {k: v for k, v in args.items() if k not in messages}
    try:
        return schema.load(kept), notices
    except ValidationError:  # a rule across fields (start after end): drop every filter
        return schema.load({}), notices


def load_strictly(schema: Schema, args: dict[str, list[str]]) -> dict[str, Any]:
    """Load query arguments for a download, which cannot show a notice: a bad one is a 422
    page saying in words what is wrong (never a Python dict)."""
    try:
        return schema.load(args)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    said = " ".join(_notice(n, e, args.get(n), done="") for n, e in messages.items())
    raise UnprocessableEntity(f"Nothing was exported. Check the filters: {said}")


def _notice(name: str, errors: Any, given: list[str] | None, done: str = " was ignored") -> str:
    label = LABELS.get(name)
    reason = " ".join(_flatten(errors)).rstrip(".")
    if name == "_schema":
        return f"These filters do not fit together ({reason}){', so they' if done else ''}{done}."
    if label is None:
        return f"“{name}” is not a filter here{', so it' if done else ''}{done}."
    shown = ", ".join(given or []) or "(empty)"
    return f"{label} “{shown}”{done}: {reason[:1].lower()}{reason[1:]}."


def _flatten(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _flatten(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in _flatten(value)]
    return [str(errors)]
