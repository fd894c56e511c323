"""The case queue as one query: filters, comment search, sort, keyset pagination, facet counts.

Keyset pagination (a cursor holding the last row's sort key) keeps every page as fast as the
first at a million cases; offsets would not.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from services.desk.config import DeskConfig
from services.desk.enums import SlaState
from shared.enums import OPEN_CASE_STATUSES, CaseStatus
from shared.inputs import in_id_range
from shared.models import Case, Response, current_deadline

OPEN = "open"
SORTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "newest": (("created_at", True), ("id", True)),
    "oldest": (("created_at", False), ("id", False)),
    "priority": (("priority", False), ("created_at", False), ("id", False)),
    "due": (("due", False), ("id", False)),
}
FACETS = ("status", "touchpoint", "priority", "sla")
MAX_LIMIT = 200
PRIORITY_MAX = 10  # the column's width


class BadCursor(ValueError):
    """The pagination cursor is not one this query produced."""


@dataclass(frozen=True)
class QueueFilter:
    """What the user asked the queue for; empty tuples mean no restriction."""

    status: tuple[str, ...] = (OPEN,)
    touchpoint: tuple[str, ...] = ()
    priority: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    assignee_id: int | None = None
    sla: tuple[str, ...] = ()
    created_from: date | None = None
    created_to: date | None = None
    nps_min: int | None = None
    nps_max: int | None = None
    csat_min: int | None = None
    csat_max: int | None = None
    ces_min: int | None = None
    ces_max: int | None = None
    disagreement: bool | None = None  # only cases whose score and comment disagree (or not)
    q: str = ""
    sort: str = "newest"
    limit: int = 50
    cursor: str | None = None
    scope: tuple[ColumnElement[Any], ...] = field(default=(), compare=False)  # access rules


def _due() -> ColumnElement[Any]:
    """The deadline that matters now: acknowledge until acknowledged, then resolve."""
    return current_deadline()


def sla_expression(now: datetime, due_soon: timedelta) -> ColumnElement[str]:
    """SQL for a case's SLA state, matching `services.desk.sla.sla_state`."""
    due = _due()
    done = Case.status.in_((CaseStatus.RESOLVED, CaseStatus.CLOSED))
    return case(
        (Case.status == CaseStatus.WAITING, literal(SlaState.PAUSED.value)),
        (and_(done, Case.resolved_at <= Case.resolve_due_at), literal(SlaState.MET.value)),
        (and_(done, Case.resolved_at > Case.resolve_due_at), literal(SlaState.MISSED.value)),
        (or_(done, due.is_(None)), literal(SlaState.NONE.value)),
        (due <= now, literal(SlaState.OVERDUE.value)),
        (due <= now + due_soon, literal(SlaState.DUE_SOON.value)),
        else_=literal(SlaState.ON_TRACK.value),
    )


def _sla_condition(states: tuple[str, ...], now: datetime, due_soon: timedelta) -> Any:
    if _overdue_only(states):  # open cases (the status condition says so), past the deadline
        return _due() <= now
    return sla_expression(now, due_soon).in_(states)


def _overdue_only(states: tuple[str, ...]) -> bool:
    """The common question, asked of the open cases' deadline index (ix_cases_open_due)."""
    return states == (SlaState.OVERDUE,)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def conditions(
    f: QueueFilter, *, now: datetime, config: DeskConfig, skip: str | None = None
) -> list[Any]:
    """Return the WHERE conditions of a filter, leaving out one facet (for its counts)."""
    where: list[Any] = list(f.scope)
    overdue = bool(f.sla) and skip != "sla" and _overdue_only(f.sla)
    if f.status or overdue:
        statuses = {s for s in f.status if s != OPEN} if f.status else set(CaseStatus)
        if OPEN in f.status:
            statuses.update(OPEN_CASE_STATUSES)
        if skip == "status":
            # The status facet counts the open statuses and the chosen ones, not every closed
            # case ever: that would scan the whole history on each queue view.
            statuses.update(OPEN_CASE_STATUSES)
        if overdue:  # one status condition, not two: two would halve the planner's estimate
            statuses &= set(OPEN_CASE_STATUSES)
        where.append(Case.status.in_(sorted(statuses)))
    for name, values in (("touchpoint", f.touchpoint), ("priority", f.priority)):
        if values and skip != name:
            where.append(getattr(Case, name).in_(values))
    if f.owner:
        where.append(Case.owner.in_(f.owner))
    if f.team:
        receivers = [r for team in f.team for r in config.receivers_of(team)]
        where.append(
            or_(Case.team.in_(f.team), and_(Case.team.is_(None), Case.owner.in_(receivers)))
        )
    if f.assignee_id is not None:
        where.append(Case.assignee_id == f.assignee_id)
    if f.sla and skip != "sla":
        where.append(_sla_condition(f.sla, now, config.due_soon))
    if f.created_from:
        where.append(Case.created_at >= _day_start(f.created_from))
    if f.created_to:
        where.append(Case.created_at < _day_start(f.created_to + timedelta(days=1)))
    for score in ("nps", "csat", "ces"):
        low, high = getattr(f, f"{score}_min"), getattr(f, f"{score}_max")
        if low is not None:
            where.append(getattr(Response, score) >= low)
        if high is not None:
            where.append(getattr(Response, score) <= high)
    if f.disagreement is not None:
        flagged = Case.disagreement.is_not(None)
        where.append(flagged if f.disagreement else Case.disagreement.is_(None))
    if f.q.strip():
        where.append(Response.comment.ilike(_like(f.q.strip()), escape="\\"))
    return where


def _sort_columns(sort: str) -> list[tuple[ColumnElement[Any], bool, str]]:
    columns: dict[str, ColumnElement[Any]] = {
        "created_at": Case.created_at,  # type: ignore[dict-item]
        "priority": Case.priority,  # type: ignore[dict-item]
        "id": Case.id,  # type: ignore[dict-item]
    }
    return [(_due() if name == "due" else columns[name], desc, name) for name, desc in SORTS[sort]]


def encode_cursor(values: list[Any]) -> str:
    """Encode the last row's sort key as an opaque cursor."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """Decode a cursor made by `encode_cursor` for this sort; check each value's type and range."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadCursor("cursor is not valid") from exc
    names = [name for name, _ in SORTS[sort]]
    if not isinstance(raw, list) or len(raw) != len(names):
        raise BadCursor("cursor does not belong to this sort order")
    return [_key_value(name, value) for name, value in zip(names, raw, strict=True)]


def _key_value(name: str, value: Any) -> Any:
    """One sort-key value of a cursor, as the column compares it; BadCursor if it cannot be."""
    if name == "id":
        if not in_id_range(value):
            raise BadCursor("cursor is not valid")
        return value
    if name == "priority":
        if not isinstance(value, str) or not 0 < len(value) <= PRIORITY_MAX:
            raise BadCursor("cursor is not valid")
        return value
    if name == "due" and value is None:  # cases without a deadline sort last
        return None
    try:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise BadCursor("cursor is not valid")
        return at.astimezone(UTC)  # the column's own conversion must not overflow
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadCursor("cursor is not valid") from exc


def _after(sort: str, values: list[Any]) -> Any:
    """Rows strictly after the cursor in sort order (a lexicographic tuple comparison)."""
    columns = _sort_columns(sort)
    clauses = []
    for i, (column, desc, _) in enumerate(columns):
        if values[i] is None:
            continue
        equal = [c == values[j] for j, (c, _, _) in enumerate(columns[:i])]
        clauses.append(and_(*equal, column < values[i] if desc else column > values[i]))
    return or_(*clauses)


def base_query(f: QueueFilter, *, now: datetime, config: DeskConfig) -> Select[Case, Response, str]:
    """Return the page query: cases with their response, filtered and sorted."""
    query = (
        select(Case, Response, sla_expression(now, config.due_soon).label("sla_state"))
        .join(Response, Response.id == Case.response_id)
        .where(*conditions(f, now=now, config=config))
    )
    if f.cursor:
        query = query.where(_after(f.sort, decode_cursor(f.cursor, f.sort)))
    order = [column.desc() if desc else column.asc() for column, desc, _ in _sort_columns(f.sort)]
    return query.order_by(*order).limit(min(max(f.limit, 1), MAX_LIMIT) + 1)


@dataclass(frozen=True)
class QueueRow:
    """One case in the queue with what the list shows."""

    case: Case
    response: Response
    sla_state: str


@dataclass(frozen=True)
class Page:
    """One page of the queue and the cursor of the next one."""

    rows: list[QueueRow]
    next_cursor: str | None


def page(session: Session, f: QueueFilter, *, now: datetime, config: DeskConfig) -> Page:
    """Run the queue query for one page."""
    result = session.execute(base_query(f, now=now, config=config)).all()
    limit = min(max(f.limit, 1), MAX_LIMIT)
    rows = [QueueRow(c, r, state) for c, r, state in result[:limit]]
    cursor = None
    if len(result) > limit:
        last = rows[-1].case
        key = {"created_at": last.created_at, "priority": last.priority, "id": last.id}
        key["due"] = last.resolve_due_at if last.acknowledged_at else last.ack_due_at
        cursor = encode_cursor([key[name] for name, _ in SORTS[f.sort]])
    return Page(rows, cursor)


def facet_counts(
    session: Session, f: QueueFilter, *, now: datetime, config: DeskConfig
) -> dict[str, dict[str, int]]:
    """Count cases per value of each facet, with every other filter applied.

    Facets whose conditions are the same (those the filter does not narrow) are counted in one
    pass over the cases with GROUPING SETS on PostgreSQL; SQLite has none and counts each apart.
    """
    unpaged = replace(f, cursor=None)
    keys = {
        "status": Case.status,
        "touchpoint": Case.touchpoint,
        "priority": Case.priority,
        "sla": sla_expression(now, config.due_soon),
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    where_of: dict[str, list[Any]] = {}
    passes: dict[str, list[str]] = {}  # facets counted together, by their conditions
    for facet in FACETS:
        where_of[facet] = conditions(unpaged, now=now, config=config, skip=facet)
        compiled = and_(true(), *where_of[facet]).compile()
        same = repr((str(compiled), sorted(compiled.params.items())))
        passes.setdefault(same if postgres else facet, []).append(facet)
    out: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for facets in passes.values():
        columns = [keys[facet] for facet in facets]
        # GROUPING(column) is 0 in the rows that count that column's values.
        flags = [func.grouping(c) for c in columns] if len(facets) > 1 else [literal(0)]
        query = select(*columns, func.count(), *flags).select_from(Case)
        query = query.where(*where_of[facets[0]])
        if _needs_response(unpaged):
            query = query.join(Response, Response.id == Case.response_id)
        grouping = func.grouping_sets(*columns) if len(facets) > 1 else columns[0]
        n = len(facets)
        for row in session.execute(query.group_by(grouping)):
            for i, facet in enumerate(facets):
                if not row[n + 1 + i]:
                    out[facet][str(row[i])] = int(row[n])
    return {facet: dict(sorted(counts.items())) for facet, counts in out.items()}


def _needs_response(f: QueueFilter) -> bool:
    scores = (f.nps_min, f.nps_max, f.csat_min, f.csat_max, f.ces_min, f.ces_max)
    return bool(f.q.strip()) or any(v is not None for v in scores)
