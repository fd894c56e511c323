"""Retries beyond the countdown cap are left to the sweep instead of a long countdown message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
from celery import Celery
from celery.exceptions import Retry
from sqlalchemy.orm import Session, sessionmaker

from services.notifier import service
from services.notifier.worker import create_worker_app
from shared import task_names
from shared.models import Delivery, utcnow
from shared.settings import Settings
from tests.notifier.factories import create_delivery
from tests.support.batches import task_batch
from tests.support.slack_standin import Answer, SlackStandin


@pytest.fixture
def app(notifier_settings: Settings, redis_url: str) -> Iterator[Celery]:
    """The notifier's Celery app on the test Redis; its tasks are called in this process."""
    app = create_worker_app(notifier_settings.with_(redis_url=redis_url, retry_countdown_max_s=30))
    app.loader.import_default_modules()
    yield app
    app.close()


def test_a_retry_within_the_cap_is_a_countdown(
    app: Celery, sessions: sessionmaker[Session], slack: SlackStandin, redis_url: str
) -> None:
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#alerts")
    slack.answer_next(2, Answer(429, "", {"Retry-After": "5"}))
    assert app.tasks[task_names.DELIVER].apply(args=[delivery_id]).get() == 0  # none sent
    # The batch's retry is a single task with its countdown, not a batch's waiting message.
    [queued] = redis.Redis.from_url(redis_url).lrange(task_names.NOTIFIER_QUEUE, 0, -1)
    message = json.loads(queued)
    assert message["headers"]["task"] == task_names.DELIVER_LATER
    assert message["headers"]["eta"] is not None
    later = utcnow() + timedelta(seconds=5)
    with sessions() as session, session.begin():  # its moment has come
        session.get_one(Delivery, delivery_id).due_at = later - timedelta(seconds=10)
    with pytest.raises(Retry):  # and the retry's own retry is a countdown again
        app.tasks[task_names.DELIVER_LATER](delivery_id)
    assert slack.requests == 2


def test_one_message_may_name_a_list_of_deliveries(
    app: Celery, sessions: sessionmaker[Session], slack: SlackStandin
) -> None:
    ids = [create_delivery(sessions, channel="slack", target=f"channel:#c{n}") for n in range(3)]
    single = create_delivery(sessions, channel="slack", target="channel:#single")
    messages = task_batch(task_names.DELIVER, [single]) + task_batch(task_names.DELIVER, [0])
    messages[1].args = (ids,)  # what a router batch sends: one message for its alerts
    assert app.tasks[task_names.DELIVER](messages) == 4
    assert sorted(post.body["channel"] for post in slack.posts) == ["#c0", "#c1", "#c2", "#single"]


def test_a_retry_beyond_the_cap_waits_for_the_sweep_without_a_message(
    app: Celery, sessions: sessionmaker[Session], slack: SlackStandin, redis_url: str
) -> None:
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#alerts")
    slack.answer_next(1, Answer(503, "", {"Retry-After": "120"}))
    assert app.tasks[task_names.DELIVER].apply(args=[delivery_id]).get() == 0
    assert redis.Redis.from_url(redis_url).llen(task_names.NOTIFIER_QUEUE) == 0
    with sessions() as session:
        delivery = session.get_one(Delivery, delivery_id)
        assert delivery.status == "pending" and delivery.due_at > utcnow() + timedelta(seconds=100)
    grace = timedelta(seconds=40)
    with sessions() as session, session.begin():
        due = utcnow() + timedelta(seconds=120) + grace
        found = service.due_deliveries(session, now=due, grace=grace, limit=10, overdue_limit=10)
    assert found == [delivery_id]
