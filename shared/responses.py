"""Every stored response with what the router decided: "why was this not a case?"

Used by the API (`GET /v1/responses`) and by the desk's responses page, so both filter and page
the same way. Newest answer first, keyset pagination on (submitted_at, id).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from shared.inputs import FIRST_DAY, LAST_DAY
from shared.models import Case, Response

MAX_LIMIT = 200


class ResponseQuerySchema(Schema):
    """Filters and paging of the response list; unknown parameters are rejected."""

    class Meta:
        unknown = RAISE

    source = fields.String(validate=validate.Length(1, 100))
    submitted_from = fields.Date(
        validate=validate.Range(FIRST_DAY, LAST_DAY),
        metadata={"description": "answered on or after (UTC day)"},
    )
    submitted_to = fields.Date(
        validate=validate.Range(FIRST_DAY, LAST_DAY),
        metadata={"description": "answered on or before (UTC day)"},
    )
    dissatisfied = fields.Boolean(metadata={"description": "the router's decision (yes/no)"})
    touchpoint = fields.String(validate=validate.Length(1, 100))
    has_case = fields.Boolean()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(1, 500))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start is not None and end is not None and end < start:
            raise ValidationError("must not be before submitted_from", "submitted_to")
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                raise ValidationError("must not contain NUL characters", name)


class BadCursor(ValueError):
    """A cursor that this listing did not hand out."""


@dataclass(frozen=True)
class ResponseRow:
    """One response with its case, if it became one."""

    response: Response
    case_id: int | None
    case_status: str | None

    @property
    def outcome(self) -> str:
        """Where the response stands: a case, not a case, not routed yet, or a routing error."""
        if self.case_id is not None:
            return "case"
        if self.response.routing_error:
            return "routing error"
        if self.response.routed_at is None:
            return "not routed yet"
        return "not a case"

    @property
    def touchpoint(self) -> str | None:
        """The touchpoint the router chose, else the one the survey gave."""
        decision = self.response.decision or {}
        return decision.get("touchpoint") or self.response.touchpoint

    @property
    def reasons(self) -> list[str]:
        """The decision's reasons in words (none before routing)."""
        return [str(r) for r in (self.response.decision or {}).get("reasons") or []]

    @property
    def disagreement(self) -> str | None:
        """Whether the score and the comment say opposite things (router.policy.Disagreement)."""
        return (self.response.decision or {}).get("disagreement")


@dataclass(frozen=True)
class Page:
    """One page of responses and the cursor of the next one (None at the end)."""

    rows: list[ResponseRow]
    next_cursor: str | None


def _cursor(response: Response) -> str:
    text = json.dumps([response.submitted_at.isoformat(), response.id])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        at = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeError, TypeError, ValueError) as exc:
        raise BadCursor("not a valid cursor") from exc
    if at.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool):
        raise BadCursor("not a valid cursor")
    return at, row_id


def _day(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def conditions(data: dict[str, Any]) -> list[ColumnElement[Any]]:
    """SQL conditions for the validated filters (the response list joins its case)."""
    where: list[ColumnElement[Any]] = []
    if "source" in data:
        where.append(Response.source == data["source"])
    if "submitted_from" in data:
        where.append(Response.submitted_at >= _day(data["submitted_from"]))
    if "submitted_to" in data:
        where.append(Response.submitted_at < _day(data["submitted_to"]) + timedelta(days=1))
    if "dissatisfied" in data:
        where.append(Response.decision["dissatisfied"].as_boolean().is_(data["dissatisfied"]))
    if "touchpoint" in data:
        chosen = func.coalesce(
            Case.touchpoint, Response.decision["touchpoint"].as_string(), Response.touchpoint
        )
        where.append(chosen == data["touchpoint"])
    if "has_case" in data:
        where.append(Case.id.is_not(None) if data["has_case"] else Case.id.is_(None))
    return where


def list_responses(session: Session, data: dict[str, Any]) -> Page:
    """Return one page of responses matching validated filters; raise BadCursor for a bad one."""
    limit = data.get("limit", 50)
    query = (
        select(Response, Case.id, Case.status)
        .outerjoin(Case, Case.response_id == Response.id)
        .where(*conditions(data))
    )
    if data.get("cursor"):
        at, row_id = _decode(data["cursor"])
        query = query.where(
            or_(Response.submitted_at < at, and_(Response.submitted_at == at, Response.id < row_id))
        )
    query = query.order_by(Response.submitted_at.desc(), Response.id.desc()).limit(limit + 1)
    rows = [ResponseRow(r, case_id, status) for r, case_id, status in session.execute(query)]
    items = rows[:limit]
    next_cursor = _cursor(items[-1].response) if len(rows) > limit else None
    return Page(items, next_cursor)
