"""One delivery attempt end to end without Celery: outcomes, retries, fallbacks, rate limits."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import cast

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from services.notifier import flows, setbacks
from services.notifier.channels import Rate
from services.notifier.ratelimit import RateLimiter
from shared.enums import DeliveryStatus
from shared.models import CaseEvent, Delivery, utcnow
from shared.settings import Settings
from tests.notifier.factories import create_delivery, make_case, make_delivery
from tests.support.slack_standin import Answer, SlackStandin
from tests.support.smtp import SMTPRecorder


def _get(sessions: sessionmaker[Session], delivery_id: int) -> Delivery:
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def _actions(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(CaseEvent.action).order_by(CaseEvent.id)))


def test_email_is_sent_and_recorded(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    delivery_id = create_delivery(sessions)
    outcome = flows.deliver(sessions, notifier_settings, delivery_id, limiter=None)
    assert outcome == flows.Outcome("sent")
    assert len(smtp.messages) == 1
    assert _get(sessions, delivery_id).status == DeliveryStatus.SENT
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "skipped"
    assert len(smtp.messages) == 1


def _down() -> OperationalError:
    return OperationalError("UPDATE deliveries", {}, Exception("server closed the connection"))


def test_a_sent_alert_waits_for_the_database_to_record_it_instead_of_going_twice(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    delivery_id = create_delivery(sessions)
    opened = itertools.count()

    def restarting_database() -> Session:
        # The claim is the first transaction; the record of the send meets the database down twice.
        if next(opened) in (1, 2):
            raise _down()
        return sessions()

    flaky = cast("sessionmaker[Session]", restarting_database)
    outcome = flows.deliver(flaky, notifier_settings, delivery_id, limiter=None)
    assert outcome.status == "sent"
    assert _get(sessions, delivery_id).status == DeliveryStatus.SENT  # no lease left to run out
    assert len(smtp.messages) == 1


def test_a_503_schedules_a_retry_that_honours_retry_after_and_then_succeeds(
    sessions: sessionmaker[Session], notifier_settings: Settings, slack: SlackStandin
) -> None:
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#alerts")
    slack.answer_next(1, Answer(503, "", {"Retry-After": "2"}))
    outcome = flows.deliver(sessions, notifier_settings, delivery_id, limiter=None)
    assert outcome.status == "retry"
    assert outcome.retry_in is not None and outcome.retry_in >= 2.0
    pending = _get(sessions, delivery_id)
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert "503" in (pending.last_error or "")
    assert not pending.ambiguous  # a 503 means Slack did not take the message
    early = flows.deliver(sessions, notifier_settings, delivery_id, limiter=None)
    assert early.status == "not_due" and slack.posts == []
    later = utcnow() + timedelta(seconds=outcome.retry_in)
    assert flows.deliver(
        sessions, notifier_settings, delivery_id, limiter=None, now=lambda: later
    ) == flows.Outcome("sent")
    sent = _get(sessions, delivery_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert len(slack.posts) == 1
    assert _actions(sessions) == ["delivery_retry", "delivered"]


def test_a_429_waits_its_retry_after_without_spending_attempts_or_budget(
    sessions: sessionmaker[Session], notifier_settings: Settings, slack: SlackStandin
) -> None:
    settings = notifier_settings.with_(delivery_budget_s=10.0)
    clock = [utcnow()]
    began = clock[0] - timedelta(seconds=9)  # 1 s of budget left
    delivery_id = create_delivery(
        sessions,
        channel="slack",
        target="channel:#alerts",
        retry_from=began,
        due_at=began,
        attempts=2,
    )
    slack.answer_next(1, Answer(429, "", {"Retry-After": "30"}))
    outcome = flows.deliver(sessions, settings, delivery_id, limiter=None, now=lambda: clock[0])
    assert outcome == flows.Outcome("rate_limited", retry_in=30.0)
    waiting = _get(sessions, delivery_id)
    assert (waiting.status, waiting.attempts) == ("pending", 2)
    assert waiting.retry_from == began + timedelta(seconds=30)
    clock[0] += timedelta(seconds=30)
    slack.answer_next(1, Answer(503, ""))
    again = flows.deliver(sessions, settings, delivery_id, limiter=None, now=lambda: clock[0])
    assert again.status == "retry"  # without the 429 moving the budget, this would be `failed`
    assert _get(sessions, delivery_id).attempts == 3


def test_transient_failures_retry_for_the_time_budget_then_fail(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    settings = notifier_settings.with_(delivery_budget_s=60.0)
    delivery_id = create_delivery(sessions)
    smtp.fail_next(10, "451 4.3.0 Try again later")
    clock = [utcnow()]
    outcomes = []
    for _ in range(4):
        outcome = flows.deliver(sessions, settings, delivery_id, limiter=None, now=lambda: clock[0])
        outcomes.append(outcome.status)
        clock[0] += timedelta(seconds=25)
    assert outcomes == ["retry", "retry", "retry", "failed"]
    failed = _get(sessions, delivery_id)
    assert (failed.status, failed.attempts) == ("failed", 4)
    assert (failed.last_error or "").startswith("gave up after 4 attempts in 75s: SMTP 451")
    assert _actions(sessions) == ["delivery_retry"] * 3 + ["delivery_failed"]


def test_permanent_failure_is_recorded_without_retry(
    sessions: sessionmaker[Session], notifier_settings: Settings, slack: SlackStandin
) -> None:
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#nowhere")
    slack.answer_next(1, Answer(200, {"ok": False, "error": "channel_not_found"}))
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "failed"
    failed = _get(sessions, delivery_id)
    assert (failed.status, failed.last_error) == ("failed", "Slack error channel_not_found")
    assert slack.requests == 1


def test_unconfigured_channel_writes_the_outbox_and_says_so(
    sessions: sessionmaker[Session], notifier_settings: Settings
) -> None:
    settings = notifier_settings.with_(smtp_host="")
    delivery_id = create_delivery(sessions)
    assert flows.deliver(sessions, settings, delivery_id, limiter=None).status == "sent"
    [written] = settings.outbox_dir.iterdir()
    assert json.loads(written.read_text())["target"] == "delivery-lead@example.com"
    with sessions() as session:
        event = session.scalars(select(CaseEvent)).one()
    assert event.detail["via"] == "outbox"
    assert "no SMTP host" in event.detail["fallback"]


def test_unexpected_error_counts_an_attempt_and_propagates(
    sessions: sessionmaker[Session], notifier_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery_id = create_delivery(sessions)

    def broken(*_: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr("services.notifier.channels.email.EmailChannel.send", broken)
    with pytest.raises(KeyError):
        flows.deliver(sessions, notifier_settings, delivery_id, limiter=None)
    delivery = _get(sessions, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "pending",
        1,
        "unexpected KeyError",
    )


def test_a_rate_limit_that_cannot_be_asked_sends_nothing_and_leaves_the_batch_to_the_sweep(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    down = RateLimiter(redis.Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.5))
    ids = [create_delivery(sessions, target=f"{name}@example.com") for name in ("a", "b")]
    outcomes = flows.deliver_many(
        sessions, notifier_settings, dict.fromkeys(ids, False), limiter=down
    )
    assert [outcomes[i].status for i in ids] == ["error", "error"]  # raised by the task
    assert smtp.messages == []
    for delivery_id in ids:
        delivery = _get(sessions, delivery_id)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.last_error == "unexpected ConnectionError"


def _burst_used(redis_url: str) -> RateLimiter:
    """A limiter whose email bucket for the factories' default target has no burst left."""
    limiter = RateLimiter(redis.Redis.from_url(redis_url))
    rate = Rate(per_second=2.0, burst=10)
    for _ in range(rate.burst):
        assert limiter.take("email:delivery-lead@example.com", rate) == 0
    return limiter


def test_rate_limited_target_waits_without_counting_an_attempt_then_sends_in_its_slot(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    redis_url: str,
    smtp: SMTPRecorder,
) -> None:
    limiter = _burst_used(redis_url)
    delivery_id = create_delivery(sessions)
    outcome = flows.deliver(sessions, notifier_settings, delivery_id, limiter=limiter)
    assert outcome.status == "rate_limited"
    assert outcome.retry_in is not None and 0 < outcome.retry_in <= 0.5
    delivery = _get(sessions, delivery_id)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert smtp.messages == []
    assert outcome.booked
    later = utcnow() + timedelta(seconds=outcome.retry_in)
    sent = flows.deliver(
        sessions, notifier_settings, delivery_id, limiter=limiter, booked=True, now=lambda: later
    )
    assert sent.status == "sent"  # its booked slot: the limit is not asked again
    assert len(smtp.messages) == 1


def test_rate_limit_is_shared_per_target_and_books_slots_first_come_first_served(
    redis_url: str,
) -> None:
    a = RateLimiter(redis.Redis.from_url(redis_url))
    b = RateLimiter(redis.Redis.from_url(redis_url))
    rate = Rate(per_second=1.0, burst=2)
    assert a.take("slack:channel:#x", rate) == 0
    assert b.take("slack:channel:#x", rate) == 0
    # Refused callers get distinct slots one interval apart, so they do not come back together
    # and race for the same refill (where the same few won every time and the rest starved).
    # Each wait is counted from its own call: a slow machine shortens them, never lengthens.
    waits = [limiter.take("slack:channel:#x", rate) for limiter in (a, b, a)]
    assert 0.5 < waits[0] <= 1.0
    assert 0.5 < waits[1] - waits[0] <= 1.0 and 0.5 < waits[2] - waits[1] <= 1.0
    assert b.take("slack:channel:#other", rate) == 0


def test_one_call_takes_a_slot_per_send_in_turn_each_at_its_own_rate(redis_url: str) -> None:
    limiter = RateLimiter(redis.Redis.from_url(redis_url))
    slow, fast = Rate(per_second=1.0, burst=2), Rate(per_second=50.0, burst=5)
    wanted = [("slack:channel:#z", slow)] * 3 + [("slack:channel:#w", fast)] * 2
    waits = limiter.take_each(wanted)
    # A batch's sends to one target share its burst, and the one past it is given the next
    # slot, as separate calls would be; another target's limit is its own.
    assert waits[:2] == [0, 0] and 0.5 < waits[2] <= 1.0
    assert waits[3:] == [0, 0]
    assert 1.0 < limiter.take("slack:channel:#z", slow) <= 2.0  # the third's slot stays booked


def test_a_slot_beyond_the_booking_horizon_is_not_booked(redis_url: str) -> None:
    limiter = RateLimiter(redis.Redis.from_url(redis_url))
    rate = Rate(per_second=1.0, burst=1)
    assert limiter.take("slack:channel:#y", rate) == 0
    far = limiter.take("slack:channel:#y", rate, book_within=0.5)
    assert 0.5 < far <= 1.0
    # Not booked: the next caller is offered the same slot, not one after it.
    assert limiter.take("slack:channel:#y", rate) <= far


@pytest.mark.parametrize(
    ("attempt", "retry_after", "low", "high"),
    [(1, None, 0.0, 1.0), (4, None, 0.0, 8.0), (20, None, 0.0, 300.0), (1, 30.0, 30.0, 30.0)],
)
def test_backoff_is_jittered_exponential_capped_and_respects_retry_after(
    attempt: int, retry_after: float | None, low: float, high: float
) -> None:
    delays = [
        setbacks.backoff(attempt, base=1.0, cap=300.0, retry_after=retry_after) for _ in range(200)
    ]
    assert all(low <= d <= high for d in delays)
    top = setbacks.backoff(attempt, base=1.0, cap=300.0, retry_after=retry_after, rand=lambda: 1.0)
    assert top == high


def test_the_old_owner_is_told_by_email_where_a_moved_case_went(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    with sessions() as session, session.begin():
        case = make_case(session, touchpoint="billing", owner="billing-team")
        moved = CaseEvent(
            case_id=case.id, actor="router", action="rerouted",
            detail={"by": "champ@example.com",
                    "before": {"touchpoint": "delivery", "owner": "delivery-team"},
                    "after": {"touchpoint": "billing", "owner": "billing-team"}},
        )  # fmt: skip
        session.add(moved)
        session.flush()
        delivery_id = make_delivery(session, case=case, kind="rerouted", step=moved.id).id
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "sent"
    [message] = smtp.messages
    assert message.message["Subject"] == f"[P1] Case #{case.id} moved to billing-team (billing)"
    text = message.message.get_body(("plain",)).get_content()
    assert "champ@example.com corrected its touchpoint from delivery to billing" in text


def test_a_batch_sends_each_delivery_once_and_a_failure_holds_back_none_of_the_others(
    sessions: sessionmaker[Session], notifier_settings: Settings, slack: SlackStandin
) -> None:
    ids = [create_delivery(sessions, channel="slack", target=f"channel:#c{i}") for i in range(4)]
    gone = create_delivery(sessions, channel="slack", target="nowhere")  # fails before sending
    wanted = dict.fromkeys([gone, *ids], False)
    with ThreadPoolExecutor(4) as pool:
        outcomes = flows.deliver_many(sessions, notifier_settings, wanted, limiter=None, pool=pool)
    assert {i: o.status for i, o in outcomes.items()} == {gone: "failed"} | dict.fromkeys(
        ids, "sent"
    )
    assert sorted(post.body["channel"] for post in slack.posts) == [f"#c{i}" for i in range(4)]
    assert [_get(sessions, i).status for i in ids] == [DeliveryStatus.SENT] * 4
    assert _get(sessions, gone).status == DeliveryStatus.FAILED
    assert sorted(_actions(sessions)) == ["delivered"] * 4 + ["delivery_failed"]
    again = flows.deliver_many(sessions, notifier_settings, wanted, limiter=None)
    assert {o.status for o in again.values()} == {"skipped"}  # redelivered: nothing sent twice
    assert len(slack.posts) == 4


def test_an_unexpected_error_in_a_batch_is_returned_after_the_others_are_recorded(
    sessions: sessionmaker[Session],
    notifier_settings: Settings,
    slack: SlackStandin,
    smtp: SMTPRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken_id = create_delivery(sessions)  # email, whose send raises
    fine_id = create_delivery(sessions, channel="slack", target="channel:#alerts")

    def broken(*_: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr("services.notifier.channels.email.EmailChannel.send", broken)
    wanted = {broken_id: False, fine_id: False}
    outcomes = flows.deliver_many(sessions, notifier_settings, wanted, limiter=None)
    assert isinstance(outcomes[broken_id].error, KeyError)
    assert outcomes[fine_id] == flows.Outcome("sent")
    assert _get(sessions, fine_id).status == DeliveryStatus.SENT
    broken_row = _get(sessions, broken_id)
    assert (broken_row.status, broken_row.ambiguous) == (DeliveryStatus.PENDING, True)
