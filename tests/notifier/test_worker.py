"""A real notifier worker process on real Redis and both databases, against local stand-ins."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.celery_app import create_celery
from shared.db import transaction
from shared.enums import DeliveryStatus
from shared.models import Case, CaseEvent, Delivery
from shared.settings import Settings
from tests.notifier.factories import create_delivery
from tests.support.processes import Process
from tests.support.slack_standin import Answer, SlackStandin
from tests.support.smtp import SMTPRecorder

pytestmark = pytest.mark.slow
WEBHOOK_VAR = "CXLOOP_SLACK_WEBHOOK_DELIVERY"


@pytest.fixture
def worker_settings(notifier_settings: Settings, redis_url: str) -> Settings:
    """Settings the worker and the test share: real Redis, short leases and grace periods."""
    return notifier_settings.with_(redis_url=redis_url, delivery_lease_s=3.0, sweep_grace_s=1.0)


@pytest.fixture
def start_worker(worker_settings: Settings, tmp_path: Path) -> Iterator[Callable[[], Process]]:
    """Start notifier workers (the webhook URLs in their environment); kill them after."""
    started: list[Process] = []

    def start() -> Process:
        process = Process(
            ["worker", "notifier"],
            worker_settings,
            tmp_path / "notifier-worker.log",
        )
        started.append(process.start(ready="ready.", timeout=60))
        return process

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def producer(worker_settings: Settings) -> Iterator[Celery]:
    """A Celery app that only sends tasks by name, as the router and beat do."""
    app = create_celery(worker_settings)
    yield app
    app.close()


def _wait_for(
    sessions: sessionmaker[Session], delivery_id: int, done: Callable[[Delivery], bool]
) -> Delivery:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sessions() as session:
            delivery = session.get(Delivery, delivery_id)
            assert delivery is not None
            if done(delivery):
                return delivery
        time.sleep(0.1)
    raise AssertionError(f"delivery {delivery_id} stuck: {delivery.status} {delivery.last_error}")


def _settled(delivery: Delivery) -> bool:
    return delivery.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED)


def test_email_alert_reaches_the_smtp_server_once_even_if_the_task_is_sent_three_times(
    sessions: sessionmaker[Session],
    start_worker: Callable[[], Process],
    producer: Celery,
    smtp: SMTPRecorder,
) -> None:
    start_worker()
    delivery_id = create_delivery(sessions)
    for _ in range(3):
        producer.send_task(task_names.DELIVER, args=[delivery_id])
    delivery = _wait_for(sessions, delivery_id, _settled)
    time.sleep(1.0)  # let the duplicate tasks run too
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ["delivery-lead@example.com"]


def test_slack_503_and_429_lead_to_retries_and_exactly_one_message(
    sessions: sessionmaker[Session],
    start_worker: Callable[[], Process],
    producer: Celery,
    slack: SlackStandin,
) -> None:
    worker = start_worker()
    slack.answer_next(1, Answer(503, "service_unavailable"))
    slack.answer_next(1, Answer(429, "rate_limited", {"Retry-After": "1"}))
    delivery_id = create_delivery(sessions, channel="slack", target=f"webhook:{WEBHOOK_VAR}")
    producer.send_task(task_names.DELIVER, args=[delivery_id])
    delivery = _wait_for(sessions, delivery_id, _settled)
    # The 503 is an attempt; the 429 is a wait, not an attempt.
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 2, None)
    assert slack.requests == 3
    assert len(slack.posts) == 1
    assert "standinsecret" not in worker.output()


def test_a_refresh_task_edits_the_posted_alert_after_a_503(
    sessions: sessionmaker[Session],
    start_worker: Callable[[], Process],
    producer: Celery,
    slack: SlackStandin,
) -> None:
    """The desk's `notifier.refresh_alerts` runs in a real worker: Slack's 503 is retried."""
    start_worker()
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#cx-delivery")
    producer.send_task(task_names.DELIVER, args=[delivery_id])
    delivery = _wait_for(sessions, delivery_id, _settled)
    assert delivery.status == "sent" and delivery.message_ref
    with transaction(sessions) as s:  # what the desk records when someone acknowledges
        case = s.get(Case, delivery.case_id)
        assert case is not None
        case.status = "acknowledged"
        s.add(CaseEvent(case_id=case.id, actor="ana@example.com", action="acknowledge",
                        at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC), detail={}))  # fmt: skip
    slack.answer_next(1, Answer(503, "service_unavailable", {"Retry-After": "0"}))
    producer.send_task(task_names.REFRESH_ALERTS, args=[delivery.case_id])
    deadline = time.monotonic() + 30
    while not slack.updates and time.monotonic() < deadline:
        time.sleep(0.1)
    [update] = slack.updates
    assert update.body["ts"] == delivery.message_ref.partition(":")[2]
    message = slack.message("#cx-delivery")
    texts = [e.get("text") for b in message["blocks"] for e in b.get("elements", [])]
    assert "ana@example.com acknowledged the case · Mon 2 Nov 09:00 UTC" in texts
    ids = [e.get("action_id") for b in message["blocks"] for e in b.get("elements", [])]
    assert "acknowledge" not in ids and "take" in ids


def test_permanent_slack_error_is_recorded_on_the_delivery(
    sessions: sessionmaker[Session],
    start_worker: Callable[[], Process],
    producer: Celery,
    slack: SlackStandin,
) -> None:
    start_worker()
    slack.answer_next(1, Answer(200, {"ok": False, "error": "channel_not_found"}))
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#gone")
    producer.send_task(task_names.DELIVER, args=[delivery_id])
    delivery = _wait_for(sessions, delivery_id, _settled)
    assert (delivery.status, delivery.last_error) == ("failed", "Slack error channel_not_found")
    assert slack.requests == 1


def test_unset_webhook_falls_back_to_an_outbox_file(
    sessions: sessionmaker[Session],
    start_worker: Callable[[], Process],
    producer: Celery,
    worker_settings: Settings,
    slack: SlackStandin,
) -> None:
    start_worker()
    delivery_id = create_delivery(
        sessions, channel="slack", target="webhook:CXLOOP_SLACK_WEBHOOK_NOT_SET"
    )
    producer.send_task(task_names.DELIVER, args=[delivery_id])
    assert _wait_for(sessions, delivery_id, _settled).status == "sent"
    [written] = worker_settings.outbox_dir.glob(f"*-delivery-{delivery_id}.json")
    assert "The parcel arrived late" in written.read_text()
    assert slack.requests == 0


def test_the_sweep_recovers_a_delivery_whose_worker_was_killed_mid_send(
    sessions: sessionmaker[Session],
    start_worker: Callable[[], Process],
    producer: Celery,
    slack: SlackStandin,
) -> None:
    worker = start_worker()
    slack.answer_next(1, Answer(503, "", delay=30))
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#delivery-alerts")
    producer.send_task(task_names.DELIVER, args=[delivery_id])
    _wait_for(sessions, delivery_id, lambda d: slack.requests == 1)
    worker.kill()
    assert _wait_for(sessions, delivery_id, lambda d: True).status == "sending"
    start_worker()
    time.sleep(3.5)  # the dead worker's lease runs out
    producer.send_task(task_names.SWEEP_DELIVERIES)
    delivery = _wait_for(sessions, delivery_id, _settled)
    assert delivery.status == "sent"
    assert len(slack.posts) == 1


def test_after_an_outage_the_breaker_releases_every_waiting_alert_within_seconds(
    sessions: sessionmaker[Session],
    worker_settings: Settings,
    tmp_path: Path,
    producer: Celery,
    slack: SlackStandin,
    redis_url: str,
) -> None:
    # Backoff of up to 50 s: without the breaker's release the last alert would wait for it.
    settings = worker_settings.with_(
        breaker_threshold=2, breaker_probe_s=1.0, retry_backoff_s=50.0, retry_backoff_max_s=50.0
    )
    process = Process(
        ["worker", "notifier"], settings, tmp_path / "breaker-worker.log"
    )  # fmt: skip
    process.start(ready="ready.", timeout=60)
    try:
        slack.outage = Answer(503, "service_unavailable")
        target = f"webhook:{WEBHOOK_VAR}"
        ids = [create_delivery(sessions, channel="slack", target=target) for _ in range(6)]
        for delivery_id in ids:
            producer.send_task(task_names.DELIVER, args=[delivery_id])
        breaker = redis.Redis.from_url(redis_url)
        key = f"cxloop:notifier:breaker:slack:{target}"

        def waiting() -> bool:
            # Every alert has failed or been held at least once. Held ones are re-tried every
            # probe interval, so on a busy machine some are always mid-attempt ("sending"):
            # asking for all six "pending" at one instant waited for a coincidence.
            with sessions() as session:
                rows = session.scalars(select(Delivery).where(Delivery.id.in_(ids))).all()
            return all(r.status != "sent" and r.retry_from is not None for r in rows)

        _until(lambda: breaker.hget(key, "open") == b"1" and waiting(), 30, "breaker open")
        assert slack.posts == []
        back = time.monotonic()
        slack.outage = None

        def all_sent() -> bool:
            with sessions() as session:
                statuses = session.scalars(select(Delivery.status).where(Delivery.id.in_(ids)))
                return set(statuses) == {"sent"}

        _until(all_sent, 60, "every alert sent")
        recovery = time.monotonic() - back
        assert recovery < 15, f"last alert {recovery:.1f} s after the channel came back"
        assert len(slack.posts) == 6
        assert breaker.hget(key, "open") is None
    finally:
        process.kill()


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.1)
