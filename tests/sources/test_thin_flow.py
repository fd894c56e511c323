"""Thin webhooks through real processes: a router worker fetches from a vendor API stand-in.

A SurveyMonkey or Qualtrics event posted to the ingest app becomes one routed case; a fetch
task lost in the broker is recovered by the beat-driven sweep; a vendor that keeps failing
spends the retry budget and leaves a clear error, after which nothing is fetched again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.models import Case, Response
from shared.settings import Settings
from tests.sources import vendors
from tests.sources.flow import post_signed
from tests.sources.standin import VendorStandIn
from tests.support.processes import Process, start_worker
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def vendor_api(standin: VendorStandIn) -> str:
    return standin.url


@pytest.fixture
def worker_settings(settings: Settings, redis_url: str, sources_file: Path) -> Settings:
    """Router settings with short sweeps and backoff, so recovery is seen within seconds."""
    return settings.with_(
        redis_url=redis_url,
        sources_file=sources_file,
        worker_concurrency=1,
        sweep_interval_s=1.0,
        sweep_grace_s=1.0,
        retry_backoff_s=0.2,
        max_retries=2,
    )


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def post(client: FlaskClient, source: str, payload: object) -> int:
    return int(post_signed(client, source, payload)["responses"][0]["id"])


def case_of(sessions: sessionmaker[Session], response_id: int) -> Case | None:
    with sessions() as session:
        return session.scalars(select(Case).where(Case.response_id == response_id)).one_or_none()


def response(sessions: sessionmaker[Session], response_id: int) -> Response:
    with sessions() as session:
        return session.get_one(Response, response_id)


@pytest.mark.parametrize("source", ["surveymonkey", "qualtrics"])
def test_a_thin_webhook_becomes_a_routed_case_fetched_by_a_real_router_worker(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    worker_settings: Settings,
    processes: list[Process],
    standin: VendorStandIn,
    tmp_path: Path,
    source: str,
) -> None:
    processes.append(start_worker("router", worker_settings, tmp_path))
    response_id = post(client, source, vendors.example(source))
    wait_until(lambda: case_of(sessions, response_id) is not None, 60)
    row = response(sessions, response_id)
    assert row.nps in (2, 3) and row.comment
    assert row.fetch_due_at is None and row.fetch_attempts == 1
    assert row.routed_at is not None and row.routing_error is None
    assert standin.calls  # the full response came from the vendor's API


def test_a_lost_fetch_task_is_recovered_by_the_sweep(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    worker_settings: Settings,
    processes: list[Process],
    redis_url: str,
    standin: VendorStandIn,
    tmp_path: Path,
) -> None:
    response_id = post(client, "surveymonkey", vendors.surveymonkey_event())
    broker = redis.Redis.from_url(redis_url)
    assert broker.llen(task_names.ROUTER_QUEUE) == 1  # the fetch task, waiting for a worker
    broker.delete(task_names.ROUTER_QUEUE)  # lost, as when a killed worker held it
    processes.append(start_worker("router", worker_settings, tmp_path))
    time.sleep(1.0)
    assert case_of(sessions, response_id) is None and not standin.calls
    beat = Process(["beat"], worker_settings, tmp_path / "beat.log")
    processes.append(beat.start(ready="beat: Starting..."))
    wait_until(lambda: case_of(sessions, response_id) is not None, 60)
    assert response(sessions, response_id).fetch_due_at is None


def test_a_failing_vendor_spends_the_retry_budget_and_is_then_left_alone(
    app: Flask,
    client: FlaskClient,
    sessions: sessionmaker[Session],
    worker_settings: Settings,
    processes: list[Process],
    standin: VendorStandIn,
    tmp_path: Path,
) -> None:
    standin.fail_with, standin.retry_after = 503, "0"
    processes.append(start_worker("router", worker_settings, tmp_path))
    response_id = post(client, "qualtrics", vendors.qualtrics_message())
    wait_until(lambda: response(sessions, response_id).routing_error is not None, 60)
    row = response(sessions, response_id)
    assert row.routing_error == "Qualtrics API answered 503 (gave up after 3 attempts)"
    assert row.fetch_due_at is None and row.fetch_attempts == 3
    assert len(standin.calls) == 3
    app.extensions["cxloop"].celery.send_task(task_names.SWEEP_UNFETCHED)
    time.sleep(1.5)
    assert len(standin.calls) == 3 and case_of(sessions, response_id) is None


def test_a_retry_longer_than_the_countdown_cap_is_left_to_the_sweep(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    worker_settings: Settings,
    processes: list[Process],
    standin: VendorStandIn,
    tmp_path: Path,
) -> None:
    standin.fail_with, standin.retry_after = 503, "600"
    worker = start_worker("router", worker_settings, tmp_path)
    processes.append(worker)
    before = time.time()
    response_id = post(client, "qualtrics", vendors.qualtrics_message())
    wait_until(lambda: "'retry-later'" in worker.output(), 60)
    row = response(sessions, response_id)
    assert row.fetch_due_at is not None and row.fetch_due_at.timestamp() >= before + 590
    assert row.routing_error is None and len(standin.calls) == 1
    assert "Retry in" not in worker.output()  # no countdown held past the visibility timeout
