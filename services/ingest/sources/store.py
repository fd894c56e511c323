"""Persistence for webhook sources: one row per vendor response, updated by later events.

A vendor that sends several events per response (created, updated, finished) updates the same
row. Changed content is routed again only while no case exists: an open case is never
duplicated or re-routed; the change is recorded on its timeline instead, so the owner sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.service import content_values, insert_or_find, store_response
from shared.db import transaction
from shared.models import Case, CaseEvent, Response

ACTOR = "ingest"
CONTENT = (
    "respondent_id",
    "respondent_email",
    "respondent_name",
    "touchpoint",
    "nps",
    "csat",
    "ces",
    "comment",
    "attributes",
)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DUPLICATE = "duplicate"
    STALE = "stale"  # an older version than the one stored (events arrived out of order)
    AWAITING_FETCH = "awaiting_fetch"


@dataclass(frozen=True)
class Stored:
    """What happened to one response and what must be sent once the transaction commits."""

    id: int
    outcome: Outcome
    needs_routing: bool = False
    needs_fetch: bool = False

    def body(self) -> dict[str, Any]:
        """The per-response answer to the vendor."""
        return {"id": self.id, "outcome": str(self.outcome)}


def envelope(
    *, source_type: str, event_id: str | None, version: datetime | None, payload: Any
) -> dict[str, Any]:
    """The raw record kept with a response: the vendor's event exactly as parsed."""
    return {
        "source_type": source_type,
        "event_id": event_id,
        "version": version.isoformat() if version else None,
        "payload": payload,
    }


def locked(session: Session, response_id: int) -> Response:
    """Read the row under a row lock so concurrent events for it apply one after the other."""
    return session.scalars(
        select(Response)
        .where(Response.id == response_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def note_on_case(
    session: Session, *, response_id: int, action: str, detail: dict[str, Any]
) -> bool:
    """Add an entry to the timeline of the response's case, if it has one; say whether it has."""
    case = session.scalars(select(Case).where(Case.response_id == response_id)).one_or_none()
    if case is None:
        return False
    session.add(
        CaseEvent(case_id=case.id, at=datetime.now(UTC), actor=ACTOR, action=action, detail=detail)
    )
    return True


def _unsent(row: Response) -> bool:
    return row.routed_at is None and row.enqueued_at is None


def _is_stale(row: Response, raw: dict[str, Any]) -> bool:
    stored, given = (row.raw or {}).get("version"), raw.get("version")
    if not stored or not given:
        return False
    return datetime.fromisoformat(given) < datetime.fromisoformat(stored)


def apply_update(
    session: Session, *, row: Response, data: dict[str, Any], raw: dict[str, Any]
) -> Stored:
    """Bring a stored response up to date with a newer event; decide whether to route again."""
    if _is_stale(row, raw):
        return Stored(row.id, Outcome.STALE, needs_routing=_unsent(row))
    values = content_values(data)
    changed = [name for name in CONTENT if getattr(row, name) != values[name]]
    if not changed:
        return Stored(row.id, Outcome.DUPLICATE, needs_routing=_unsent(row))
    for name in changed:
        setattr(row, name, values[name])
    row.raw = raw
    detail = {"changed": changed, "event_id": raw.get("event_id")}
    if note_on_case(session, response_id=row.id, action="response_updated", detail=detail):
        return Stored(row.id, Outcome.UPDATED)
    row.routed_at = None
    row.enqueued_at = None
    row.routing_error = None
    return Stored(row.id, Outcome.UPDATED, needs_routing=True)


def store_submission(
    session: Session, *, data: dict[str, Any], raw: dict[str, Any], enqueued_at: datetime
) -> Stored:
    """Store a loaded generic response, or update the row a previous event created; a response
    due for routing is stamped as enqueued at `enqueued_at` (the caller sends it next)."""
    response_id, created = insert_or_find(session, data=data, raw=raw, enqueued_at=enqueued_at)
    if created:  # no ORM row is loaded for it: the hot path of a survey blast
        return Stored(response_id, Outcome.CREATED, needs_routing=True)
    row = locked(session, response_id)
    stored = apply_update(session, row=row, data=data, raw=raw)
    if stored.needs_routing:
        row.enqueued_at = enqueued_at
    return stored


def store_submissions(
    sessions: sessionmaker[Session], items: Sequence[tuple[dict[str, Any], dict[str, Any]]]
) -> list[Stored]:
    """Store webhook events' responses in one transaction, those to route stamped as enqueued.

    The stamp saves a second transaction per event, as on the generic API's hot path
    (`service.insert_response`): the caller sends routing next and clears the stamp of what it
    could not send; should the process die in between, the sweep sends them after its grace.
    """
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        return [store_submission(session, data=d, raw=r, enqueued_at=now) for d, r in items]


def store_thin(
    session: Session,
    *,
    source: str,
    response_id: str,
    occurred_at: datetime,
    raw: dict[str, Any],
) -> Stored:
    """Store a thin event as a placeholder row whose full response is due to be fetched.

    `fetch_due_at` is the fetch's explicit state: set here, cleared by the fetch (or when it gives
    up); `router.sweep_unfetched` re-sends fetches overdue by the sweep grace, so a lost task
    delays a fetch, never loses it. The empty placeholder is held as routed so the routing sweep
    leaves it alone; the fetch fills it in, releases it and hands it to the router.
    """
    now = datetime.now(UTC)
    data = {
        "source": source,
        "response_id": response_id,
        "submitted_at": occurred_at,
        "respondent": {},
        "touchpoint": None,
        "scores": {},
        "comment": "",
        "attributes": {},
    }
    row, created = store_response(session, data=data, raw=raw)
    if created:
        row.routed_at = now
        row.fetch_due_at = now
        return Stored(row.id, Outcome.AWAITING_FETCH, needs_fetch=True)
    row = locked(session, row.id)
    previous = row.raw or {}
    if raw.get("event_id") and previous.get("event_id") == raw.get("event_id"):
        return Stored(row.id, Outcome.DUPLICATE)
    row.raw = {**previous, "event_id": raw.get("event_id"), "payload": raw.get("payload")}
    row.fetch_due_at = now
    row.fetch_attempts = 0  # a new event: a fetch begun before it must not settle it
    return Stored(row.id, Outcome.AWAITING_FETCH, needs_fetch=True)
