"""Digests through a real notifier worker on real Redis: however often the beat's task and the
send tasks arrive, each target gets the digest once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.celery_app import create_celery, queue_depth
from shared.db import transaction
from shared.models import DigestSend, utcnow
from shared.settings import Settings
from tests.desk.factories import make_case
from tests.notifier.test_digests import WEBHOOK, desk_file
from tests.support.processes import Process, start_worker
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def worker_settings(notifier_settings: Settings, redis_url: str, tmp_path: Path) -> Settings:
    """A desk file whose daily digest fell due two minutes ago (UTC), real Redis."""
    due = (utcnow() - timedelta(minutes=2)).strftime("%H:%M")
    path = desk_file(tmp_path, daily={"at": due}, owners={})
    text = path.read_text(encoding="utf-8").replace("Europe/London", "UTC")
    path.write_text(text, encoding="utf-8")
    return notifier_settings.with_(redis_url=redis_url, desk_file=path, sweep_grace_s=1.0)


@pytest.fixture
def producer(worker_settings: Settings) -> Iterator[Celery]:
    """A Celery app that only sends tasks by name, as beat does."""
    app = create_celery(worker_settings)
    yield app
    app.close()


def _finished(worker: Process, name: str) -> tuple[int, int]:
    """How many tasks of this name the worker received, and how many it finished."""
    out = worker.output()
    received = len(re.findall(rf"Task {re.escape(name)}\[[^\]]+\] received", out))
    finished = len(re.findall(rf"Task {re.escape(name)}\[[^\]]+\] succeeded", out))
    return received, finished


def test_the_beat_task_three_times_and_a_redelivered_send_still_send_each_digest_once(
    sessions: sessionmaker[Session], worker_settings: Settings, producer: Celery,
    smtp: SMTPRecorder, slack: SlackStandin, tmp_path: Path,
) -> None:  # fmt: skip
    with transaction(sessions) as s:
        make_case(s, created_at=utcnow() - timedelta(hours=3))
    worker = start_worker("notifier", worker_settings, tmp_path)
    try:
        for _ in range(3):  # a second beat, a redelivered message
            producer.send_task(task_names.PLAN_DIGESTS)

        def sent() -> list[DigestSend] | None:
            with sessions() as s:
                rows = list(s.scalars(select(DigestSend)))
            return rows if len(rows) == 2 and all(r.status == "sent" for r in rows) else None

        rows = wait_until(sent, timeout=60, what="both digest sends")
        for row in rows:  # the send task redelivered after it finished
            producer.send_task(task_names.SEND_DIGEST, args=[row.id])

        def drained() -> bool:
            plans, sends = (
                _finished(worker, task_names.PLAN_DIGESTS),
                _finished(worker, task_names.SEND_DIGEST),
            )
            idle = queue_depth(producer, task_names.NOTIFIER_QUEUE) == 0
            return idle and plans == (3, 3) and sends[0] >= 4 and sends[0] == sends[1]

        wait_until(drained, timeout=60, what="every task to finish")
    finally:
        worker.kill()
    assert [m.rcpt_tos for m in smtp.messages] == [["leads@example.com"]]
    assert len(slack.posts) == 1 and slack.posts[0].path.startswith("/services/")
    assert {(r.channel, r.target, r.attempts) for r in rows} == {
        ("email", "leads@example.com", 1), ("slack", f"webhook:{WEBHOOK}", 1)
    }  # fmt: skip
