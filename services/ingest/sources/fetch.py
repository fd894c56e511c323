"""Complete a thin event: fetch the full response from the vendor's API and store it.

A placeholder's `fetch_due_at` says a fetch is pending and when it is due; `fetch_attempts`
counts attempts across tasks, so the retry budget holds even when the sweep re-sends a lost task.
The Celery tasks (services/ingest/tasks.py) own retries and sends; these functions take plain
values, and the vendor is called outside any transaction. A response that cannot be fetched keeps
a clear routing_error, and its case, if it has one, gets a `fetch_failed` timeline entry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.ingest.service import load_storable
from services.ingest.sources.base import PayloadError, PermanentFetchError
from services.ingest.sources.config import Sources
from services.ingest.sources.mapping import to_generic
from services.ingest.sources.registry import adapter_for
from services.ingest.sources.store import Stored, apply_update, locked, note_on_case
from shared.errors import flatten_messages
from shared.models import Response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """One claimed fetch attempt: which source to ask, for what, and its number (from 1)."""

    response_id: int
    number: int
    source: str
    ref: Mapping[str, Any]


def start_attempt(session: Session, *, response_id: int, now: datetime) -> Attempt | None:
    """Count one more attempt for a pending fetch; None when nothing is pending any more."""
    row = session.get(Response, response_id)
    if row is None or row.fetch_due_at is None:
        return None
    row = locked(session, row.id)
    if row.fetch_due_at is None:
        return None
    row.fetch_attempts += 1
    row.fetch_due_at = now  # the sweep leaves it alone for another grace period
    ref = (row.raw or {}).get("ref")
    return Attempt(
        response_id=row.id,
        number=row.fetch_attempts,
        source=row.source,
        ref=ref if isinstance(ref, dict) else {},
    )


def vendor_label(sources: Sources, source_name: str) -> str:
    """The vendor's name for messages, or the source's name if it is no longer configured."""
    source = sources.get(source_name)
    return adapter_for(source.type).label if source is not None else source_name


def fetch_submission(attempt: Attempt, *, sources: Sources, timeout: float) -> dict[str, Any]:
    """Fetch the response an attempt is for and return it in the loaded generic form.

    Raises TransientFetchError (retry) or PermanentFetchError (give up).
    """
    source = sources.get(attempt.source)
    if source is None:
        raise PermanentFetchError(f"source {attempt.source!r} is no longer configured")
    if not attempt.ref:
        raise PermanentFetchError("the thin event stored no reference to fetch the response by")
    adapter = adapter_for(source.type)
    try:
        submission = adapter.fetch(attempt.ref, source, timeout)
    except PayloadError as exc:
        raise PermanentFetchError(
            f"{adapter.label} API answered an unreadable response: {exc}"
        ) from exc
    data = to_generic(submission, source, ces_scale=adapter.ces_scale)
    try:
        return load_storable(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{k}: {' '.join(v)}" for k, v in flatten_messages(exc.messages).items()
        )
        raise PermanentFetchError(f"the fetched response is not usable: {problems}") from exc


def apply_fetched(session: Session, *, attempt: Attempt, data: dict[str, Any]) -> Stored:
    """Fill a placeholder (or refresh a response) with fetched content; settle its fetch.

    The fetch stays pending if a newer thin event arrived after this attempt began (it reset
    the attempt count), so that event's own fetch still runs.
    """
    row = locked(session, attempt.response_id)
    if row.fetch_attempts >= attempt.number:
        row.fetch_due_at = None
    row.routing_error = None
    raw = {**(row.raw or {}), "version": data["submitted_at"].isoformat()}
    return apply_update(session, row=row, data=data, raw=raw)


def schedule_retry(session: Session, *, response_id: int, due: datetime) -> None:
    """Record when the retry is due, so the sweep only steps in if the retry is lost."""
    session.execute(
        update(Response)
        .where(Response.id == response_id, Response.fetch_due_at.is_not(None))
        .values(fetch_due_at=due)
    )


def record_failure(session: Session, *, response_id: int, error: str) -> None:
    """Stop fetching and keep the reason where operators and owners look."""
    row = session.get(Response, response_id)
    if row is None:
        return
    row = locked(session, row.id)
    row.routing_error = error
    row.fetch_due_at = None
    note_on_case(session, response_id=row.id, action="fetch_failed", detail={"error": error})
    log.error(
        "could not fetch the full response", extra={"response_id": response_id, "error": error}
    )


def unfetched_responses(
    session: Session, *, now: datetime, grace: timedelta, limit: int
) -> list[int]:
    """Claim pending fetches overdue by `grace` (their task was lost); return their ids.

    Their fetch_due_at is set to now, so the next sweep waits another grace period for them.
    """
    ids = list(
        session.scalars(
            select(Response.id)
            .where(Response.fetch_due_at < now - grace)
            .order_by(Response.fetch_due_at)
            .limit(limit)
        )
    )
    if ids:
        session.execute(
            update(Response)
            .where(Response.id.in_(ids), Response.fetch_due_at.is_not(None))
            .values(fetch_due_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids
