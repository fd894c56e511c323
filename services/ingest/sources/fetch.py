"""Complete a thin event: fetch the full response from the vendor's API and store it.

The Celery task (services/router/fetch.py) owns retries; these functions take plain values.
A response that cannot be fetched keeps a clear routing_error, and its case, if it has one,
gets a `fetch_failed` timeline entry.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ingest.errors import flatten_messages
from services.ingest.service import load_storable
from services.ingest.sources.base import PayloadError, PermanentFetchError, adapter_for
from services.ingest.sources.config import Sources
from services.ingest.sources.mapping import to_generic
from services.ingest.sources.store import ACTOR, Stored, apply_update, locked
from shared.models import Case, CaseEvent, Response

log = logging.getLogger(__name__)


def fetch_submission(
    session: Session, *, response_id: int, sources: Sources, timeout: float
) -> dict[str, Any] | None:
    """Fetch one placeholder's response; return the loaded generic form, None if not thin.

    Raises TransientFetchError (retry) or PermanentFetchError (give up) from the vendor call.
    """
    row = session.get(Response, response_id)
    if row is None or not isinstance((row.raw or {}).get("ref"), dict):
        return None
    source = sources.get(row.source)
    if source is None:
        raise PermanentFetchError(f"source {row.source!r} is no longer configured")
    adapter = adapter_for(source.type)
    try:
        submission = adapter.fetch(row.raw["ref"], source, timeout)
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


def apply_fetched(session: Session, *, response_id: int, data: dict[str, Any]) -> Stored:
    """Fill a placeholder (or refresh a response) with fetched content."""
    row = locked(session, session.get_one(Response, response_id))
    raw = {**(row.raw or {}), "fetch": "done", "version": data["submitted_at"].isoformat()}
    return apply_update(session, row=row, data=data, raw=raw)


def record_failure(session: Session, *, response_id: int, error: str) -> None:
    """Keep the reason a response could not be fetched where operators and owners look."""
    row = session.get(Response, response_id)
    if row is None:
        return
    row.routing_error = error
    row.raw = {**(row.raw or {}), "fetch": "failed"}
    case = session.scalars(select(Case).where(Case.response_id == row.id)).one_or_none()
    if case is not None:
        session.add(
            CaseEvent(
                case_id=case.id,
                at=datetime.now(UTC),
                actor=ACTOR,
                action="fetch_failed",
                detail={"error": error},
            )
        )
    log.error(
        "could not fetch the full response", extra={"response_id": response_id, "error": error}
    )
