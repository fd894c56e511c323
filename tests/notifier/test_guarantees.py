"""No alert lost, none doubled where the channel lets us check: breaker, lookups, Message-ID."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.notifier import flows
from services.notifier.breaker import CLOSED, KEEP, OPENED, RECLOSED, Breaker
from services.notifier.channels import AmbiguousError, RateLimited, TransientError
from services.notifier.channels.email import EmailChannel
from services.notifier.channels.slack import EVENT_TYPE, SlackChannel
from shared.enums import DeliveryStatus
from shared.models import CaseEvent, Delivery, utcnow
from shared.settings import Settings
from tests.notifier.alerts import alert
from tests.notifier.factories import create_delivery
from tests.support.slack_standin import Answer, SlackStandin
from tests.support.smtp import SMTPRecorder

TARGET = "channel:#alerts"


def _get(sessions: sessionmaker[Session], delivery_id: int) -> Delivery:
    with sessions() as session:
        return session.get_one(Delivery, delivery_id)


def test_a_slack_post_that_timed_out_after_slack_stored_it_is_found_and_not_posted_again(
    sessions: sessionmaker[Session], notifier_settings: Settings, slack: SlackStandin
) -> None:
    settings = notifier_settings.with_(http_timeout_s=0.5)
    delivery_id = create_delivery(sessions, channel="slack", target=TARGET)
    slack.answer_next(1, Answer(200, {"ok": True}, delay=2.0, store=True))
    first = flows.deliver(sessions, settings, delivery_id, limiter=None)
    assert first.status == "retry" and first.retry_in is not None
    assert _get(sessions, delivery_id).ambiguous
    [post] = slack.posts
    assert post.body["metadata"] == {
        "event_type": EVENT_TYPE,
        "event_payload": {"delivery_id": str(delivery_id)},
    }
    later = utcnow() + timedelta(seconds=first.retry_in)
    again = flows.deliver(sessions, settings, delivery_id, limiter=None, now=lambda: later)
    assert again.status == "sent"
    assert len(slack.posts) == 1 and slack.history_reads == 1
    with sessions() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "delivered")).one()
    assert event.detail["found_earlier_post"] is True


@pytest.mark.parametrize("posted_before_dying", [True, False])
def test_a_delivery_taken_from_a_dead_sender_is_looked_up_before_it_is_sent(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
    posted_before_dying: bool,
) -> None:
    expired = utcnow() - timedelta(seconds=1)
    delivery_id = create_delivery(
        sessions, channel="slack", target=TARGET, status=DeliveryStatus.SENDING,
        lease_until=expired,
    )  # fmt: skip
    other = create_delivery(sessions, channel="slack", target=TARGET)
    for posted in [other] + ([delivery_id] if posted_before_dying else []):
        meta = {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": str(posted)}}
        requests.post(
            slack.api_url + "/chat.postMessage",
            json={"channel": "#alerts", "text": "earlier", "metadata": meta},
            headers={"Authorization": f"Bearer {slack.token}"},
            timeout=5,
        ).raise_for_status()
    posts_before = len(slack.posts)
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "sent"
    assert len(slack.posts) - posts_before == (0 if posted_before_dying else 1)
    assert slack.history_reads == 1


def test_a_webhook_target_is_never_looked_up(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
) -> None:
    delivery_id = create_delivery(
        sessions, channel="slack", target="webhook:CXLOOP_SLACK_WEBHOOK_TEST", ambiguous=True
    )
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "sent"
    assert len(slack.posts) == 1 and slack.history_reads == 0


def test_email_message_id_is_the_same_on_every_resend_and_differs_per_deployment(
    channel_settings: Settings, smtp: SMTPRecorder
) -> None:
    channel = EmailChannel(channel_settings)
    for _ in range(2):
        channel.send(alert(delivery_id=7), "lead@example.com")
    channel.send(alert(delivery_id=8), "lead@example.com")
    EmailChannel(channel_settings.with_(public_url="https://other.example")).send(
        alert(delivery_id=7), "lead@example.com"
    )
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert ids[0] == ids[1] and ids[0].startswith("<cxloop-delivery-7.")
    assert len(set(ids)) == 3


def test_an_smtp_refusal_is_a_definite_failure_not_an_ambiguous_one(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    delivery_id = create_delivery(sessions)
    smtp.fail_next(1, "421 4.4.2 closing connection")
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "retry"
    assert not _get(sessions, delivery_id).ambiguous  # the server said no: nothing was queued


def test_the_breaker_holds_deliveries_in_an_outage_and_a_probe_releases_them(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
    redis_url: str,
) -> None:
    settings = notifier_settings.with_(
        retry_backoff_s=50.0, retry_backoff_max_s=50.0, breaker_threshold=2, breaker_probe_s=0.5
    )
    breaker = Breaker(redis.Redis.from_url(redis_url), threshold=2, probe_s=0.5)
    ids = [create_delivery(sessions, channel="slack", target=TARGET) for _ in range(5)]
    slack.outage = Answer(503, "service_unavailable")

    def deliver(delivery_id: int) -> flows.Outcome:
        return flows.deliver(sessions, settings, delivery_id, limiter=None, breaker=breaker)

    assert [deliver(i).status for i in ids[:2]] == ["retry", "retry"]
    assert breaker.is_open("slack:bot")
    requests = slack.requests
    assert [deliver(i).status for i in ids[2:]] == ["held"] * 3
    assert slack.requests == requests  # held deliveries do not touch the channel
    held = _get(sessions, ids[2])
    assert (held.status, held.attempts) == ("pending", 0) and held.retry_from is not None

    deadline = time.monotonic() + 10
    while (outcome := deliver(ids[2])).status in ("held", "not_due"):  # wait for the probe
        assert time.monotonic() < deadline, "no probe within 10 s"
        time.sleep(0.05)
    assert outcome.status == "retry"  # the probe failed: still down, still open
    assert outcome.retry_in is not None and outcome.retry_in <= 1.0  # not its 50 s backoff
    assert breaker.is_open("slack:bot")

    slack.outage = None
    deadline = time.monotonic() + 10
    while (outcome := deliver(ids[3])).status in ("held", "not_due"):
        assert time.monotonic() < deadline, "no probe within 10 s"
        time.sleep(0.05)
    assert outcome.status == "sent"
    assert set(outcome.released) == {ids[0], ids[1], ids[2], ids[4]}
    assert not breaker.is_open("slack:bot")
    for delivery_id in outcome.released:  # due now, although their backoff was up to 50 s
        assert deliver(delivery_id).status == "sent"
    assert len(slack.posts) == 5


def test_a_batch_behind_an_open_breaker_sends_one_probe_and_its_success_releases_the_rest(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
    redis_url: str,
) -> None:
    client = redis.Redis.from_url(redis_url)
    breaker = Breaker(client, threshold=1, probe_s=0.05)
    assert breaker.failure("slack:bot", started=time.time()) == OPENED
    deadline = time.monotonic() + 10
    while client.exists(breaker.prefix + "slack:bot:probe"):  # the probe slot is free again
        assert time.monotonic() < deadline, "the probe slot never expired"
        time.sleep(0.01)
    ids = [create_delivery(sessions, channel="slack", target=TARGET) for _ in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = flows.deliver_many(
            sessions, notifier_settings, dict.fromkeys(ids, False),
            limiter=None, breaker=breaker, pool=pool,
        )  # fmt: skip
    assert len(slack.posts) == 1  # one probe, not one per delivery of the batch
    [sent] = [o for o in outcomes.values() if o.status == "sent"]
    held = sorted(i for i, o in outcomes.items() if o.status == "held")
    assert len(held) == 2 and sorted(sent.released) == held
    assert not breaker.is_open("slack:bot")


def test_the_first_success_after_a_failed_send_releases_the_deliveries_backing_off(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    smtp: SMTPRecorder,
    redis_url: str,
) -> None:
    # A slow or flaky but working SMTP server: one send fails, too few to open the breaker.
    settings = notifier_settings.with_(retry_backoff_s=300.0, retry_backoff_max_s=300.0)
    breaker = Breaker(redis.Redis.from_url(redis_url), threshold=3, probe_s=15.0)
    late, fresh = (create_delivery(sessions, target=f"{n}@example.com") for n in ("a", "b"))
    smtp.fail_next(1, "451 4.3.0 Try again later")

    def deliver(delivery_id: int) -> flows.Outcome:
        return flows.deliver(sessions, settings, delivery_id, limiter=None, breaker=breaker)

    assert deliver(late).status == "retry"
    assert not breaker.is_open(f"email:{smtp.host}:{smtp.port}")
    sent = deliver(fresh)
    assert sent.status == "sent"
    # Without the release it would wait out a backoff of up to 5 minutes on a working server.
    assert sent.released == (late,)
    assert _get(sessions, late).due_at <= utcnow()
    assert deliver(late).status == "sent"
    assert len(smtp.messages) == 2


def test_a_send_failing_while_another_succeeds_does_not_count_towards_opening(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
    redis_url: str,
) -> None:
    # Threshold 1: a failure that counted would open the breaker at once.
    breaker = Breaker(redis.Redis.from_url(redis_url), threshold=1, probe_s=15.0)
    slow, quick = (create_delivery(sessions, channel="slack", target=TARGET) for _ in range(2))
    slack.answer_next(1, Answer(503, "overloaded", delay=1.0))
    outcomes: dict[int, flows.Outcome] = {}

    def deliver(delivery_id: int) -> None:
        outcomes[delivery_id] = flows.deliver(
            sessions, notifier_settings, delivery_id, limiter=None, breaker=breaker
        )

    first = threading.Thread(target=deliver, args=[slow])
    first.start()
    deadline = time.monotonic() + 10
    while slack.requests < 1:  # the slow send is under way
        assert time.monotonic() < deadline, "the first send never reached Slack"
        time.sleep(0.01)
    deliver(quick)  # answered at once while the first waits for its answer
    first.join(timeout=30)
    assert (outcomes[quick].status, outcomes[slow].status) == ("sent", "retry")
    assert not breaker.is_open("slack:bot")  # Slack answered during the failed send
    assert breaker.allow("slack:bot")


def test_failures_that_began_after_the_last_success_still_open_the_breaker(redis_url: str) -> None:
    breaker = Breaker(redis.Redis.from_url(redis_url), threshold=2, probe_s=15.0)
    endpoint = "email:smtp.example.com:25"
    assert breaker.success(endpoint, at=100.0) == KEEP  # nothing had failed: nothing to release
    assert breaker.failure(endpoint, started=99.0) == CLOSED  # under way during that success
    assert breaker.failure(endpoint, started=99.5) == CLOSED
    assert breaker.failure(endpoint, started=101.0) == CLOSED  # the endpoint died after it
    assert breaker.failure(endpoint, started=102.0) == OPENED
    assert breaker.success(endpoint, at=103.0) == RECLOSED


def test_a_held_delivery_fails_once_the_outage_outlasts_its_budget(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
    redis_url: str,
) -> None:
    settings = notifier_settings.with_(delivery_budget_s=60.0)
    breaker = Breaker(redis.Redis.from_url(redis_url), threshold=1, probe_s=600)
    first = create_delivery(sessions, channel="slack", target=TARGET)
    began = utcnow() - timedelta(seconds=61)
    late = create_delivery(
        sessions, channel="slack", target=TARGET, retry_from=began, last_error="Slack HTTP 503"
    )
    slack.outage = Answer(503, "")
    assert flows.deliver(sessions, settings, first, limiter=None, breaker=breaker).status == "retry"
    assert flows.deliver(sessions, settings, late, limiter=None, breaker=breaker).status == "failed"
    failed = _get(sessions, late)
    assert failed.status == "failed" and "whole retry budget" in (failed.last_error or "")


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (Answer(503, "down"), TransientError),
        (Answer(500, "oops"), AmbiguousError),
        (Answer(504, "gateway timeout"), AmbiguousError),
        (Answer(429, "", {"Retry-After": "3"}), RateLimited),
        (Answer(200, {"ok": True}, delay=2.0), AmbiguousError),  # answered after our timeout
    ],
)
def test_slack_outcomes_are_classed_definite_or_ambiguous(
    channel_settings: Settings, slack: SlackStandin, answer: Answer, kind: type[Exception]
) -> None:
    slack.answer_next(1, answer)
    channel = SlackChannel(channel_settings.with_(http_timeout_s=0.5))
    with pytest.raises(TransientError) as raised:
        channel.send(alert(channel="slack"), TARGET)
    assert type(raised.value) is kind


def test_a_slack_server_that_refuses_connections_is_a_definite_failure(
    channel_settings: Settings,
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = channel_settings.with_(slack_api_url=f"http://127.0.0.1:{port}/api")
    with pytest.raises(TransientError) as raised:
        SlackChannel(settings).send(alert(channel="slack"), TARGET)
    assert type(raised.value) is TransientError


@contextmanager
def _smtp_that_hangs_up(after_data: bool) -> Iterator[int]:
    """A real SMTP peer that closes the connection: at once, or after the message's final dot."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rb") as lines:
            if not after_data:
                return
            conn.sendall(b"220 test\r\n")
            in_data = False
            for line in lines:
                if in_data and line == b".\r\n":
                    return  # message received in full; hang up before answering
                if in_data:
                    continue
                in_data = line.upper().startswith(b"DATA")
                conn.sendall(b"354 go on\r\n" if in_data else b"250 ok\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        thread.join(timeout=5)
        server.close()


@pytest.mark.parametrize(("after_data", "kind"), [(True, AmbiguousError), (False, TransientError)])
def test_an_smtp_hang_up_after_the_message_was_sent_is_ambiguous(
    channel_settings: Settings, after_data: bool, kind: type[Exception]
) -> None:
    with _smtp_that_hangs_up(after_data) as port:
        channel = EmailChannel(channel_settings.with_(smtp_port=port))
        with pytest.raises(TransientError) as raised:
            channel.send(alert(), "lead@example.com")
    assert type(raised.value) is kind
