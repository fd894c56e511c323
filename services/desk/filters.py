"""Turn validated request arguments into queue filters and KPI periods, with the user's scope."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from services.desk import service
from services.desk.access import visible_cases
from services.desk.config import DeskConfig
from services.desk.kpis import Period
from services.desk.models import User
from services.desk.queue import QueueFilter

DEFAULT_DAYS = 30
SIMPLE = ("created_from", "created_to", "q", "sort", "limit", "cursor",
          "nps_min", "nps_max", "csat_min", "csat_max", "ces_min", "ces_max")  # fmt: skip
LISTS = ("status", "touchpoint", "priority", "owner", "team", "sla")


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
