"""The router's sweep under a backlog, with the queue depth read from a real Redis."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from cxloop.router_worker import create_worker_app
from services.router import tasks
from shared import task_names
from shared.celery_app import queue_depth
from shared.models import Response, utcnow
from shared.settings import Settings


@pytest.fixture
def app(settings: Settings, redis_url: str) -> Iterator[Celery]:
    """The router's Celery app on the test Redis, its tasks registered but run in this process."""
    app = create_worker_app(settings.with_(redis_url=redis_url))
    app.loader.import_default_modules()
    yield app
    app.close()


def store(sessions: sessionmaker[Session], name: str, *, sent_ago: timedelta | None) -> int:
    with sessions() as session, session.begin():
        enqueued = None if sent_ago is None else utcnow() - sent_ago
        row = Response(source="t", external_id=name, submitted_at=utcnow(), nps=1,
                       comment="late", enqueued_at=enqueued)  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def queued_ids(redis_url: str) -> list[int]:
    """Row ids of the router tasks in the queue, oldest first."""
    raw = redis.Redis.from_url(redis_url).lrange(task_names.ROUTER_QUEUE, 0, -1)
    return [json.loads(base64.b64decode(json.loads(m)["body"]))[0][0] for m in reversed(raw)]


def test_queue_depth_counts_waiting_messages_and_an_absent_queue_as_empty(
    app: Celery, redis_url: str
) -> None:
    assert queue_depth(app, task_names.ROUTER_QUEUE) == 0
    for item in (1, 2, 3):
        app.send_task(task_names.PROCESS_RESPONSE, args=[item])
    assert queue_depth(app, task_names.ROUTER_QUEUE) == 3
    assert queue_depth(app, task_names.NOTIFIER_QUEUE) == 0


def test_with_a_backlog_the_sweep_resends_never_sent_responses_and_only_a_trickle(
    app: Celery, sessions: sessionmaker[Session], redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(tasks, "SWEEP_TRICKLE", 1)
    waiting = [store(sessions, f"w{m}", sent_ago=timedelta(minutes=m)) for m in (2, 5, 3)]
    never_sent = store(sessions, "lost", sent_ago=None)
    app.send_task(task_names.PROCESS_RESPONSE, args=[waiting[0]])  # the backlog
    assert app.tasks[task_names.SWEEP_UNROUTED]() == 2
    assert queued_ids(redis_url) == [waiting[0], never_sent, waiting[1]]


def test_without_a_backlog_the_sweep_resends_every_overdue_response(
    app: Celery, sessions: sessionmaker[Session], redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(tasks, "SWEEP_TRICKLE", 1)
    waiting = [store(sessions, f"w{m}", sent_ago=timedelta(minutes=m)) for m in (2, 5, 3)]
    assert app.tasks[task_names.SWEEP_UNROUTED]() == 3
    assert queued_ids(redis_url) == [waiting[1], waiting[2], waiting[0]]


def test_the_router_worker_runs_every_router_queue_task_beat_schedules(app: Celery) -> None:
    # The SLA check and digest planning are the desk's tasks (services/desk/tasks.py) yet run
    # on the router queue.
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    on_router = {name for name in scheduled if name.startswith("router.")}
    assert {task_names.CHECK_SLA, task_names.PLAN_DIGESTS} <= on_router
    assert on_router <= set(app.tasks)
