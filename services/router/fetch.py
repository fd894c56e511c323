"""The router worker's task that completes thin webhook events (SurveyMonkey, Qualtrics).

Retries transient vendor failures with exponential backoff (honouring Retry-After); gives up
on permanent ones, or after max_retries, with a clear routing_error on the response.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from celery import Task, shared_task
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.sources.base import PermanentFetchError, TransientFetchError
from services.ingest.sources.config import Sources, load_sources
from services.ingest.sources.fetch import apply_fetched, fetch_submission, record_failure
from services.router.tasks import BROKER_ERRORS
from shared import task_names
from shared.celery_app import settings_of
from shared.db import transaction
from shared.runtime import runtime
from shared.settings import Settings

log = logging.getLogger(__name__)
_loaded: dict[Path, tuple[int, Sources]] = {}


def current_sources(path: Path) -> Sources:
    """Return the sources file, reloaded when it changes."""
    mtime = path.stat().st_mtime_ns
    cached = _loaded.get(path)
    if cached is None or cached[0] != mtime:
        _loaded[path] = (mtime, load_sources(path, os.environ))
    return _loaded[path][1]


def backoff(settings: Settings, retries: int, retry_after: float | None) -> float:
    """Seconds before the next attempt: exponential, capped, at least what the vendor asked."""
    delay = min(settings.retry_backoff_s * 2**retries, settings.retry_backoff_max_s)
    return max(delay, retry_after or 0.0)


@shared_task(name=task_names.FETCH_RESPONSE, bind=True)
def fetch_response(self: Task, response_id: int) -> str:
    """Fetch a thin event's full response, store it, then hand it to the router."""
    settings = settings_of(self.app)
    sessions = runtime(settings).sessions
    try:
        with transaction(sessions) as session:
            data = fetch_submission(
                session,
                response_id=response_id,
                sources=current_sources(settings.sources_file),
                timeout=settings.http_timeout_s,
            )
    except TransientFetchError as exc:
        if self.request.retries >= settings.max_retries:
            return _give_up(
                sessions, response_id, f"{exc} (gave up after {self.request.retries} retries)"
            )
        log.warning(
            "fetch failed; will retry", extra={"response_id": response_id, "error": str(exc)}
        )
        raise self.retry(
            exc=exc, countdown=backoff(settings, self.request.retries, exc.retry_after)
        ) from exc
    except PermanentFetchError as exc:
        return _give_up(sessions, response_id, str(exc))
    if data is None:
        return "not-thin"
    with transaction(sessions) as session:
        stored = apply_fetched(session, response_id=response_id, data=data)
    if stored.needs_routing:
        try:
            self.app.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
        except BROKER_ERRORS as exc:
            log.warning(
                "broker unavailable; the sweep will route it",
                extra={"response_id": response_id, "error": str(exc)},
            )
    return str(stored.outcome)


def _give_up(sessions: sessionmaker[Session], response_id: int, error: str) -> str:
    with transaction(sessions) as session:
        record_failure(session, response_id=response_id, error=error)
    return "failed"
