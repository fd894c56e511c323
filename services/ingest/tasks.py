"""Ingest's tasks completing thin webhook events (SurveyMonkey, Qualtrics); the router runs them.

`router.fetch_response` retries transient vendor failures with exponential backoff (honouring
Retry-After) and gives up on permanent ones, or once the budget of `max_retries + 1` attempts
counted on the row is spent, with a clear routing_error. `router.sweep_unfetched` (beat) re-sends
fetches whose task was lost (broker down at send time, worker killed), so nothing accepted is lost.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from celery import Task, shared_task
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.sources.base import PermanentFetchError, TransientFetchError
from services.ingest.sources.config import Sources, load_sources
from services.ingest.sources.fetch import (
    Attempt,
    apply_fetched,
    fetch_submission,
    record_failure,
    schedule_retry,
    start_attempt,
    unfetched_responses,
    vendor_label,
)
from shared import task_names
from shared.backoff import backoff as shared_backoff
from shared.broker import send_ids
from shared.celery_app import settings_of
from shared.db import transaction
from shared.models import utcnow
from shared.reload import ReloadOnChange
from shared.runtime import runtime
from shared.settings import Settings

log = logging.getLogger(__name__)
SWEEP_BATCH = 200
_sources = ReloadOnChange(lambda path: load_sources(path, os.environ))


def current_sources(path: Path) -> Sources:
    """Return the sources file, reloaded when it changes."""
    return _sources(path)


def backoff(settings: Settings, retries: int, retry_after: float | None) -> float:
    """Seconds before the next attempt: exponential, capped, at least what the vendor asked."""
    return shared_backoff(
        retries,
        base=settings.retry_backoff_s,
        cap=settings.retry_backoff_max_s,
        retry_after=retry_after,
    )


def budget(settings: Settings) -> int:
    """How many attempts a fetch gets: the first one and `max_retries` retries."""
    return settings.max_retries + 1


@shared_task(name=task_names.FETCH_RESPONSE, bind=True, max_retries=None)
def fetch_response(self: Task, response_id: int) -> str:
    """Fetch a thin event's full response, store it, then hand it to the router."""
    settings = settings_of(self.app)
    sessions = runtime(settings).sessions
    sources = current_sources(settings.sources_file)
    with transaction(sessions) as session:
        attempt = start_attempt(session, response_id=response_id, now=utcnow())
    if attempt is None:
        return "not-pending"
    if attempt.number > budget(settings):  # the last attempts' workers died mid-fetch
        label = vendor_label(sources, attempt.source)
        error = f"{label} API: none of {budget(settings)} fetch attempts finished"
        return _give_up(sessions, attempt, error)
    try:
        data = fetch_submission(attempt, sources=sources, timeout=settings.http_timeout_s)
    except TransientFetchError as exc:
        if attempt.number >= budget(settings):
            return _give_up(sessions, attempt, f"{exc} (gave up after {attempt.number} attempts)")
        delay = backoff(settings, attempt.number - 1, exc.retry_after)
        with transaction(sessions) as session:
            schedule_retry(
                session, response_id=response_id, due=utcnow() + timedelta(seconds=delay)
            )
        log.warning(
            "fetch failed; will retry",
            extra={"response_id": response_id, "attempt": attempt.number, "error": str(exc)},
        )
        if delay > settings.retry_countdown_max_s:
            # A countdown message would sit unacknowledged in Redis past the visibility
            # timeout; router.sweep_unfetched sends the retry once it is due instead.
            return "retry-later"
        raise self.retry(exc=exc, countdown=delay) from exc
    except PermanentFetchError as exc:
        return _give_up(sessions, attempt, str(exc))
    with transaction(sessions) as session:
        stored = apply_fetched(session, attempt=attempt, data=data)
    if stored.needs_routing:
        send_ids(self.app, task_names.PROCESS_RESPONSE, [response_id])
    return str(stored.outcome)


@shared_task(name=task_names.SWEEP_UNFETCHED, bind=True)
def sweep_unfetched(self: Task) -> int:
    """Re-send fetches still pending a grace period after they were due (their task was lost)."""
    settings = settings_of(self.app)
    with transaction(runtime(settings).sessions) as session:
        ids = unfetched_responses(
            session, now=utcnow(), grace=timedelta(seconds=settings.sweep_grace_s),
            limit=SWEEP_BATCH,
        )  # fmt: skip
    if ids:
        log.info("re-sending lost fetches", extra={"count": len(ids)})
    return len(send_ids(self.app, task_names.FETCH_RESPONSE, ids))


def _give_up(sessions: sessionmaker[Session], attempt: Attempt, error: str) -> str:
    with transaction(sessions) as session:
        record_failure(session, response_id=attempt.response_id, error=error)
    return "failed"
