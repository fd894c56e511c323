"""Sending task ids: several go in one batch, and a failed batch counts as not sent."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from celery.signals import before_task_publish

from shared import task_names
from shared.broker import send_ids, send_ids_together
from shared.celery_app import create_celery
from shared.embedded import start_redis
from shared.settings import Settings

QUEUE = "broker-test"


def queued_args(url: str) -> list[str]:
    """The argsrepr of every message waiting on the queue, oldest first."""
    raw = redis.Redis.from_url(url).lrange(QUEUE, 0, -1)
    return [json.loads(message)["headers"]["argsrepr"] for message in reversed(raw)]


def broker_settings(tmp_path: Path, redis_url: str) -> Settings:
    """No database is involved: only the broker."""
    return Settings(data_dir=tmp_path, database_url="sqlite://", redis_url=redis_url)


@pytest.fixture
def celery(tmp_path: Path, redis_url: str) -> Iterator[Celery]:
    app = create_celery(broker_settings(tmp_path, redis_url))
    yield app
    app.close()


def test_several_ids_are_sent_in_order_each_once(celery: Celery, redis_url: str) -> None:
    ids = list(range(1, 26))
    assert send_ids(celery, task_names.DELIVER, ids, queue=QUEUE) == ids
    assert send_ids(celery, task_names.DELIVER, [99], queue=QUEUE) == [99]
    assert queued_args(redis_url) == [f"[{n}]" for n in [*ids, 99]]


def test_ids_sent_together_are_one_message_naming_them_all(celery: Celery, redis_url: str) -> None:
    assert send_ids_together(celery, task_names.DELIVER, [4, 5, 6], queue=QUEUE) == [4, 5, 6]
    assert send_ids_together(celery, task_names.DELIVER, [], queue=QUEUE) == []
    assert queued_args(redis_url) == ["[[4, 5, 6]]"]


def test_a_batch_whose_round_trip_fails_counts_none_as_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The broker dies after the batch was filled and before it is sent: the caller must not
    # record any id as sent (the sweep sends them all again; tasks are idempotent).
    sock = tmp_path / "broker" / "redis.sock"
    broker = start_redis(sock)
    app = create_celery(broker_settings(tmp_path, f"unix://{sock}"))

    def kill_before_the_last(headers: dict[str, Any], **_: Any) -> None:
        if headers["argsrepr"] == "[3]":
            broker.kill()
            broker.wait(timeout=10)

    before_task_publish.connect(kill_before_the_last)
    try:
        with caplog.at_level(logging.WARNING, logger="shared.broker"):
            assert send_ids(app, task_names.DELIVER, [1, 2, 3], queue=QUEUE) == []
    finally:
        before_task_publish.disconnect(kill_before_the_last)
        app.close()
        broker.kill()
        broker.wait(timeout=10)
    warning = next(r for r in caplog.records if "broker unavailable" in r.getMessage())
    assert getattr(warning, "unsent", None) == 3
