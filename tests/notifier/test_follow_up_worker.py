"""A real notifier worker sends "did we fix it?" questions: once each, never to who opted out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import load_desk_config
from shared import task_names
from shared.celery_app import create_celery
from shared.db import transaction
from shared.followups.models import FollowUp, FollowUpCustomer
from shared.models import utcnow
from shared.settings import Settings
from tests.desk.factories import desk_file_with, resolved_case
from tests.support.processes import Process
from tests.support.smtp import SMTPRecorder

pytestmark = pytest.mark.slow


@pytest.fixture
def worker_settings(notifier_settings: Settings, redis_url: str, tmp_path: Path) -> Settings:
    return notifier_settings.with_(redis_url=redis_url, desk_file=desk_file_with(tmp_path))


@pytest.fixture
def worker(worker_settings: Settings, tmp_path: Path) -> Iterator[Process]:
    process = Process(["worker", "notifier"], worker_settings, tmp_path / "notifier.log")
    yield process.start(ready="ready.", timeout=60)
    process.kill()


@pytest.fixture
def producer(worker_settings: Settings) -> Iterator[Celery]:
    app = create_celery(worker_settings)
    yield app
    app.close()


def _resolved(settings: Settings, sessions: sessionmaker[Session], **fields: object) -> int:
    config = load_desk_config(settings.desk_file).follow_up
    with transaction(sessions) as session:
        _case, follow_up = resolved_case(
            session,
            config,
            resolved_at=utcnow() - timedelta(days=2),
            **fields,  # type: ignore[arg-type]
        )
        return follow_up.id


def _settled(sessions: sessionmaker[Session], ids: list[int]) -> list[FollowUp]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sessions() as session:
            rows = [session.get(FollowUp, i) for i in ids]
            if all(r is not None and r.status in ("sent", "skipped", "failed") for r in rows):
                return rows  # type: ignore[return-value]
        time.sleep(0.1)
    raise AssertionError(
        f"follow-ups {ids} not settled: {[(r.status if r else None) for r in rows]}"
    )


def _drained(redis_url: str) -> None:
    """Wait until no task waits in the notifier's queue or runs unacknowledged."""
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 30
    while client.llen(task_names.NOTIFIER_QUEUE) or client.hlen("unacked"):
        assert time.monotonic() < deadline, "the notifier queue did not drain"
        time.sleep(0.1)
    client.close()


def test_the_worker_asks_once_per_case_however_often_the_task_arrives(
    sessions: sessionmaker[Session], worker_settings: Settings, worker: Process, producer: Celery,
    smtp: SMTPRecorder, redis_url: str,
) -> None:  # fmt: skip
    asked = _resolved(worker_settings, sessions)
    with transaction(sessions) as session:
        session.add(FollowUpCustomer(key="email:bob@example.com", opted_out_at=utcnow(),
                                     updated_at=utcnow()))  # fmt: skip
    opted_out = _resolved(worker_settings, sessions, respondent_email="bob@example.com")
    for _ in range(3):
        producer.send_task(task_names.SEND_FOLLOW_UP, args=[asked])
    producer.send_task(task_names.SWEEP_FOLLOW_UPS)  # enqueues both, once more
    sent, skipped = _settled(sessions, [asked, opted_out])
    _drained(redis_url)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert (skipped.status, skipped.reason) == ("skipped", "the customer opted out of follow-ups")
    assert [m.rcpt_tos for m in smtp.messages] == [["ann@example.com"]]
    assert "test-secret" not in worker.output()
