"""Data access for ingest: store responses idempotently, read cases with keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection, Engine, Insert, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from shared.enums import OPEN_CASE_STATUSES
from shared.inputs import UNSTORABLE, in_id_range, unstorable_paths
from shared.models import Case, Response
from shared.schemas import load_response

EMAIL_MAX = 320  # the column's width (RFC 5321's practical limit)
OPEN = "open"  # status filter meaning every not-yet-resolved status


def check_storable(*, data: dict[str, Any], raw: Any) -> None:
    """Raise ValidationError for valid-looking input the database could not store."""
    errors: dict[str, list[str]] = {}
    for path in unstorable_paths(raw):
        errors.setdefault(path, []).append(UNSTORABLE)
    email = (data.get("respondent") or {}).get("email")
    if email is not None and len(email) > EMAIL_MAX:
        errors.setdefault("respondent.email", []).append(f"longer than {EMAIL_MAX} characters")
    try:
        data["submitted_at"].astimezone(UTC)
    except OverflowError:
        errors.setdefault("submitted_at", []).append("out of range once converted to UTC")
    if errors:
        raise ValidationError(errors)


def load_storable(payload: Any) -> dict[str, Any]:
    """Validate one generic response and check it can be stored; raise ValidationError if not."""
    data = load_response(payload)
    check_storable(data=data, raw=payload)
    return data


def content_values(data: dict[str, Any]) -> dict[str, Any]:
    """Map a loaded generic response onto the Response columns that hold its content."""
    respondent = data.get("respondent") or {}
    scores = data.get("scores") or {}
    return {
        "respondent_id": respondent.get("id"),
        "respondent_email": respondent.get("email"),
        "respondent_name": respondent.get("name"),
        "touchpoint": data.get("touchpoint"),
        "nps": scores.get("nps"),
        "csat": scores.get("csat"),
        "ces": scores.get("ces"),
        "comment": data.get("comment") or "",
        "attributes": dict(data.get("attributes") or {}),
    }


def _row_values(data: dict[str, Any], raw: Any) -> dict[str, Any]:
    return {
        "source": data["source"],
        "external_id": data["response_id"],
        "submitted_at": data["submitted_at"],
        "received_at": datetime.now(UTC),
        **content_values(data),
        "raw": raw,
    }


def insert_or_find(
    session: Session, *, data: dict[str, Any], raw: Any, enqueued_at: datetime | None = None
) -> tuple[int, bool]:
    """Store a loaded generic response once per (source, response_id) in the session's
    transaction, stamped `enqueued_at` if given; return its row id and whether this call
    created it.

    One Core statement on the session's connection (the ORM's bulk-insert path and reading the
    new row back cost a webhook more than its INSERT). INSERT ... ON CONFLICT DO NOTHING makes
    concurrent repeats safe without a savepoint: the loser of a race inserts nothing and reads
    the winner's id.
    """
    check_storable(data=data, raw=raw)
    conn = session.connection()
    new_id = _insert_once(conn, _row_values(data, raw) | {"enqueued_at": enqueued_at})
    if new_id is not None:
        return new_id, True
    existing = conn.execute(
        select(Response.id).where(
            Response.source == data["source"], Response.external_id == data["response_id"]
        )
    ).scalar_one()
    return existing, False


def store_response(session: Session, *, data: dict[str, Any], raw: Any) -> tuple[Response, bool]:
    """Store a loaded generic response once per (source, response_id); return (row, created)."""
    response_id, created = insert_or_find(session, data=data, raw=raw)
    return session.get_one(Response, response_id), created


@dataclass(frozen=True)
class Stored:
    """One stored response: its row id, whether this call created it, whether to route it."""

    id: int
    created: bool
    needs_routing: bool


def _insert_statement(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT (source, external_id) DO NOTHING RETURNING id, for one dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(Response)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Response.id)
    )


_INSERTS = {name: _insert_statement(name) for name in ("postgresql", "sqlite")}


def _insert_once(conn: Connection, values: dict[str, Any]) -> int | None:
    """The one INSERT of a response; the new id, or None if the response is already stored."""
    return conn.execute(_INSERTS[conn.dialect.name], values).scalar_one_or_none()


def insert_response(
    conn: Connection, *, data: dict[str, Any], raw: Any, enqueued_at: datetime
) -> Stored:
    """Store a response from `load_storable` once, stamped as enqueued (the caller sends next).

    The hot path of ingest: one Core statement, no ORM objects. Stamping enqueued_at in the same
    transaction saves a second one; should the process die between commit and publish, the sweep
    treats the stamp as overdue after its grace period and sends the task then. A repeat that was
    never sent (the broker was down) is stamped and routed again; routing is idempotent.
    """
    values = _row_values(data, raw) | {"enqueued_at": enqueued_at}
    new_id = _insert_once(conn, values)
    if new_id is not None:
        return Stored(id=new_id, created=True, needs_routing=True)
    row = conn.execute(
        select(Response.id, Response.routed_at, Response.enqueued_at).where(
            Response.source == data["source"], Response.external_id == data["response_id"]
        )
    ).one()
    unsent = row.routed_at is None and row.enqueued_at is None
    if unsent:
        conn.execute(update(Response).where(Response.id == row.id).values(enqueued_at=enqueued_at))
    return Stored(id=row.id, created=False, needs_routing=unsent)


def insert_responses(engine: Engine, items: Sequence[tuple[dict[str, Any], Any]]) -> list[Stored]:
    """Store loaded responses in one transaction, stamped as enqueued; one result per item."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        return [insert_response(conn, data=data, raw=raw, enqueued_at=now) for data, raw in items]


def get_case(session: Session, *, case_id: int) -> Case | None:
    """Return a case with its response, deliveries and events, or None."""
    return session.scalars(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.response), selectinload(Case.deliveries), selectinload(Case.events)
        )
    ).one_or_none()


@dataclass(frozen=True)
class Page:
    """One page of cases, newest first, and the cursor of the next page (None at the end)."""

    items: list[Case]
    next_cursor: str | None


def encode_cursor(case: Case) -> str:
    """Return an opaque cursor pointing just after this case."""
    text = json.dumps([case.created_at.isoformat(), case.id])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Read a cursor back; raise ValueError if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, case_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        at = datetime.fromisoformat(created)
        if at.tzinfo is None or not in_id_range(case_id):
            raise ValueError("not a valid cursor")
        return at.astimezone(UTC), case_id  # the column's own conversion must not overflow
    except (binascii.Error, UnicodeError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError("not a valid cursor") from exc


def list_cases(
    session: Session,
    *,
    status: str | None = None,
    owner: str | None = None,
    touchpoint: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """List cases newest first with keyset pagination; raise ValueError for a bad cursor."""
    query = select(Case).options(selectinload(Case.response))
    if status == OPEN:
        query = query.where(Case.status.in_([str(s) for s in OPEN_CASE_STATUSES]))
    elif status is not None:
        query = query.where(Case.status == status)
    if owner is not None:
        query = query.where(Case.owner == owner)
    if touchpoint is not None:
        query = query.where(Case.touchpoint == touchpoint)
    if cursor is not None:
        at, case_id = decode_cursor(cursor)
        query = query.where(
            or_(Case.created_at < at, and_(Case.created_at == at, Case.id < case_id))
        )
    query = query.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)
