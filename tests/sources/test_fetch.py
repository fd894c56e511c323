"""Thin webhooks: the full response is fetched from a local stand-in of the vendor's API.

The fetch state is explicit on the row (fetch_due_at, fetch_attempts), so a lost task is found by
the sweep, a repeated event fetches nothing twice, and a newer event is never settled by an
older fetch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.sources.base import PermanentFetchError, TransientFetchError
from services.ingest.sources.config import Sources, load_sources
from services.ingest.sources.fetch import (
    Attempt,
    apply_fetched,
    fetch_submission,
    record_failure,
    start_attempt,
    unfetched_responses,
)
from services.ingest.sources.store import Stored
from services.ingest.tasks import backoff
from shared.db import transaction
from shared.models import Response, utcnow
from shared.settings import Settings
from tests.sources import vendors
from tests.sources.flow import post_signed as post
from tests.sources.standin import VendorStandIn

GRACE = timedelta(seconds=40)


@pytest.fixture
def vendor_api(standin: VendorStandIn) -> str:
    return standin.url


def sources_of(path: Path) -> Sources:
    return load_sources(path, os.environ)


def attempt_for(sessions: sessionmaker[Session], row_id: int) -> Attempt:
    with transaction(sessions) as session:
        attempt = start_attempt(session, response_id=row_id, now=utcnow())
    assert attempt is not None
    return attempt


def complete(sessions: sessionmaker[Session], path: Path, attempt: Attempt) -> Stored:
    """Do what the router's fetch task does, without the Celery wrapper."""
    data = fetch_submission(attempt, sources=sources_of(path), timeout=5)
    with transaction(sessions) as session:
        return apply_fetched(session, attempt=attempt, data=data)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "surveymonkey",
            {
                "nps": 2,
                "comment": "The parcel arrived a week late.",
                "touchpoint": "delivery",
                "respondent_id": "C-9",
            },
        ),
        (
            "qualtrics",
            {
                "nps": 3,
                "comment": "The agent hung up on me.",
                "touchpoint": "support",
                "respondent_id": "C-5",
                "respondent_email": "kim@example.com",
            },
        ),
    ],
)
def test_a_thin_event_is_completed_from_the_vendor_api_and_handed_to_routing(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Path,
    source: str,
    expected: dict[str, object],
) -> None:
    post(client, source, vendors.example(source))
    (row,) = rows()
    stored = complete(sessions, sources_file, attempt_for(sessions, row.id))
    assert stored.needs_routing
    (row,) = rows()
    for column, value in expected.items():
        assert getattr(row, column) == value, column
    assert row.routed_at is None and row.routing_error is None  # released to the router
    assert row.fetch_due_at is None and row.fetch_attempts == 1


def test_a_thin_event_is_accepted_while_the_broker_is_down_and_left_for_the_sweep(
    make_app: Callable[[Settings], Flask],
    settings: Settings,
    sources_file: Path,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
) -> None:
    down = make_app(settings.with_(sources_file=sources_file))  # its Redis URL answers nothing
    post(down.test_client(), "surveymonkey", vendors.surveymonkey_event())
    (row,) = rows()
    assert row.fetch_due_at is not None
    with transaction(sessions) as session:
        later = utcnow() + GRACE * 2
        assert unfetched_responses(session, now=later, grace=GRACE, limit=9) == [row.id]


def test_a_repeated_thin_event_asks_for_no_second_fetch_once_fetched(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Path,
) -> None:
    post(client, "surveymonkey", vendors.surveymonkey_event())
    complete(sessions, sources_file, attempt_for(sessions, rows()[0].id))
    again = post(client, "surveymonkey", vendors.surveymonkey_event())
    assert again["responses"][0]["outcome"] == "duplicate"
    (row,) = rows()
    assert row.fetch_due_at is None
    with transaction(sessions) as session:
        assert start_attempt(session, response_id=row.id, now=utcnow()) is None


def test_a_newer_event_during_a_fetch_keeps_its_own_fetch_pending(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Path,
) -> None:
    post(client, "surveymonkey", vendors.surveymonkey_event())
    first = attempt_for(sessions, rows()[0].id)
    reply = post(client, "surveymonkey", vendors.surveymonkey_event(event_type="response_updated"))
    assert reply["responses"][0]["outcome"] == "awaiting_fetch"
    complete(sessions, sources_file, first)
    (row,) = rows()
    assert row.nps == 2 and row.fetch_due_at is not None  # the update's fetch is still to run
    complete(sessions, sources_file, attempt_for(sessions, row.id))
    assert rows()[0].fetch_due_at is None


def test_the_sweep_claims_only_fetches_overdue_by_the_grace_period(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Path,
) -> None:
    post(client, "surveymonkey", vendors.surveymonkey_event())
    post(client, "surveymonkey", vendors.surveymonkey_event(response_id="2"))
    post(client, "qualtrics", vendors.qualtrics_message())
    fetched, lost, failed = (row.id for row in rows())
    complete(sessions, sources_file, attempt_for(sessions, fetched))
    with transaction(sessions) as session:
        record_failure(session, response_id=failed, error="Qualtrics API answered 404")
    now = utcnow()
    with transaction(sessions) as session:
        assert unfetched_responses(session, now=now, grace=GRACE, limit=10) == []
    later = now + GRACE + timedelta(seconds=1)
    with transaction(sessions) as session:
        assert unfetched_responses(session, now=later, grace=GRACE, limit=10) == [lost]
    with transaction(sessions) as session:  # re-sent: it gets another grace period
        assert unfetched_responses(session, now=later, grace=GRACE, limit=10) == []


def test_the_sweep_is_bounded_per_run(
    client: FlaskClient, sessions: sessionmaker[Session], rows: Callable[[], list[Response]]
) -> None:
    for n in range(3):
        post(client, "surveymonkey", vendors.surveymonkey_event(response_id=str(n)))
    later = utcnow() + GRACE * 2
    with transaction(sessions) as session:
        first = unfetched_responses(session, now=later, grace=GRACE, limit=2)
    with transaction(sessions) as session:
        rest = unfetched_responses(session, now=later, grace=GRACE, limit=2)
    assert len(first) == 2 and sorted(first + rest) == [row.id for row in rows()]


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, TransientFetchError), (429, TransientFetchError), (401, PermanentFetchError)],
)
def test_vendor_failures_are_classified_for_the_retry_policy(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Path,
    standin: VendorStandIn,
    status: int,
    error: type[Exception],
) -> None:
    post(client, "qualtrics", vendors.qualtrics_message())
    standin.fail_with = status
    attempt = attempt_for(sessions, rows()[0].id)
    with pytest.raises(error) as raised:
        fetch_submission(attempt, sources=sources_of(sources_file), timeout=5)
    if status != 401:
        assert raised.value.retry_after == 7  # type: ignore[attr-defined]


def test_an_unreachable_vendor_api_is_transient(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Path,
) -> None:
    post(client, "surveymonkey", vendors.surveymonkey_event())
    sources = sources_of(sources_file)
    broken = replace(sources.by_name["surveymonkey"], api_base_url="http://127.0.0.1:9/v3")
    sources = replace(sources, by_name={"surveymonkey": broken})
    with pytest.raises(TransientFetchError):
        fetch_submission(attempt_for(sessions, rows()[0].id), sources=sources, timeout=2)


def test_a_response_that_cannot_be_fetched_keeps_a_clear_error_and_is_not_swept(
    client: FlaskClient, sessions: sessionmaker[Session], rows: Callable[[], list[Response]]
) -> None:
    post(client, "surveymonkey", vendors.surveymonkey_event(response_id="404404"))
    row_id = rows()[0].id
    with transaction(sessions) as session:
        record_failure(
            session, response_id=row_id, error="SurveyMonkey API answered 404 for the response"
        )
    (row,) = rows()
    assert row.routing_error == "SurveyMonkey API answered 404 for the response"
    assert row.fetch_due_at is None
    assert row.routed_at is not None  # nothing to route: the sweep must not route an empty row
    with transaction(sessions) as session:
        assert unfetched_responses(session, now=utcnow() + GRACE * 2, grace=GRACE, limit=9) == []


def test_backoff_grows_exponentially_is_capped_and_honours_retry_after(settings: Settings) -> None:
    tuned = settings.with_(retry_backoff_s=2.0, retry_backoff_max_s=60.0)
    assert [backoff(tuned, n, None) for n in range(6)] == [2, 4, 8, 16, 32, 60]
    assert backoff(tuned, 0, 30.0) == 30
