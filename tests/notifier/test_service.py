"""Delivery claims and outcomes on both databases: a delivery is sent at most once per claim."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.notifier import alert_content, service
from services.notifier.formatting import render_email, slack_message
from shared.enums import DeliveryStatus
from shared.models import CaseEvent, Delivery
from tests.notifier.factories import HOSTILE_COMMENT, create_delivery

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=90)


def _claim(sessions: sessionmaker[Session], delivery_id: int, now: datetime = NOW) -> bool:
    with sessions() as session, session.begin():
        return (
            service.claim_delivery(session, delivery_id=delivery_id, now=now, lease=LEASE)
            is not None
        )


def _get(sessions: sessionmaker[Session], delivery_id: int) -> Delivery:
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def _events(sessions: sessionmaker[Session]) -> list[CaseEvent]:
    with sessions() as session:
        return list(session.scalars(select(CaseEvent).order_by(CaseEvent.id)))


def test_a_delivery_is_claimed_once(sessions: sessionmaker[Session]) -> None:
    delivery_id = create_delivery(sessions, due_at=NOW)
    assert _claim(sessions, delivery_id)
    assert not _claim(sessions, delivery_id)
    claimed = _get(sessions, delivery_id)
    assert claimed.status == DeliveryStatus.SENDING
    assert claimed.lease_until == NOW + LEASE


def test_an_expired_lease_can_be_claimed_again(sessions: sessionmaker[Session]) -> None:
    delivery_id = create_delivery(sessions, due_at=NOW)
    assert _claim(sessions, delivery_id)
    assert not _claim(sessions, delivery_id, NOW + LEASE)
    assert _claim(sessions, delivery_id, NOW + LEASE + timedelta(seconds=1))


def test_a_delivery_is_not_claimed_before_it_is_due(sessions: sessionmaker[Session]) -> None:
    delivery_id = create_delivery(sessions, due_at=NOW + timedelta(seconds=5))
    assert not _claim(sessions, delivery_id)
    assert _claim(sessions, delivery_id, NOW + timedelta(seconds=5))


def test_sent_and_failed_deliveries_are_never_claimed(sessions: sessionmaker[Session]) -> None:
    sent = create_delivery(sessions, due_at=NOW, status=DeliveryStatus.SENT)
    failed = create_delivery(sessions, due_at=NOW, status=DeliveryStatus.FAILED)
    assert not _claim(sessions, sent)
    assert not _claim(sessions, failed)


def test_mark_sent_records_once_with_a_case_event(sessions: sessionmaker[Session]) -> None:
    delivery_id = create_delivery(sessions, due_at=NOW)
    with sessions() as session, session.begin():
        delivery = service.claim_delivery(session, delivery_id=delivery_id, now=NOW, lease=LEASE)
        assert delivery is not None
        assert service.mark_sent(session, delivery=delivery, now=NOW, via="email", fallback=None)
        assert not service.mark_sent(
            session, delivery=delivery, now=NOW, via="email", fallback=None
        )
    sent = _get(sessions, delivery_id)
    assert (sent.status, sent.attempts, sent.sent_at, sent.lease_until) == ("sent", 1, NOW, None)
    [event] = _events(sessions)
    assert event.action == "delivered"
    assert event.detail["delivery_id"] == delivery_id
    assert event.detail["via"] == "email"


def test_retry_releases_the_claim_counts_the_attempt_and_keeps_the_error(
    sessions: sessionmaker[Session],
) -> None:
    delivery_id = create_delivery(sessions, due_at=NOW)
    due = NOW + timedelta(seconds=3)
    with sessions() as session, session.begin():
        delivery = service.claim_delivery(session, delivery_id=delivery_id, now=NOW, lease=LEASE)
        assert delivery is not None
        service.schedule_retry(
            session, delivery=delivery, now=NOW, due_at=due, error="HTTP 503", retry_from=NOW
        )
    retried = _get(sessions, delivery_id)
    assert (retried.status, retried.attempts, retried.last_error) == ("pending", 1, "HTTP 503")
    assert retried.due_at == due and retried.lease_until is None
    assert retried.retry_from == NOW and not retried.ambiguous
    assert [e.action for e in _events(sessions)] == ["delivery_retry"]


def test_failure_is_recorded_on_the_delivery_and_the_case(sessions: sessionmaker[Session]) -> None:
    delivery_id = create_delivery(sessions, due_at=NOW)
    with sessions() as session, session.begin():
        delivery = service.claim_delivery(session, delivery_id=delivery_id, now=NOW, lease=LEASE)
        assert delivery is not None
        service.mark_failed(
            session, delivery=delivery, now=NOW, error="channel_not_found", permanent=True
        )
    failed = _get(sessions, delivery_id)
    assert (failed.status, failed.last_error, failed.attempts) == (
        "failed",
        "channel_not_found",
        1,
    )
    [event] = _events(sessions)
    assert event.action == "delivery_failed"
    assert event.detail["permanent"] is True


def test_sweep_finds_overdue_pending_and_expired_leases_only(
    sessions: sessionmaker[Session],
) -> None:
    grace = timedelta(seconds=40)
    overdue = create_delivery(sessions, due_at=NOW - timedelta(seconds=60))
    create_delivery(sessions, due_at=NOW - timedelta(seconds=10))
    create_delivery(sessions, due_at=NOW - timedelta(hours=1), status=DeliveryStatus.SENT)
    create_delivery(
        sessions, due_at=NOW - timedelta(hours=1), status="sending", lease_until=NOW + LEASE
    )
    stale = create_delivery(
        sessions,
        due_at=NOW - timedelta(seconds=1),
        status="sending",
        lease_until=NOW - timedelta(seconds=1),
    )
    with sessions() as session, session.begin():
        found = service.due_deliveries(session, now=NOW, grace=grace, limit=100, overdue_limit=100)
    assert sorted(found) == sorted([overdue, stale])
    with sessions() as session, session.begin():
        again = service.due_deliveries(
            session, now=NOW + timedelta(seconds=1), grace=grace, limit=100, overdue_limit=100
        )
    assert again == [stale], "a re-enqueued pending delivery waits another grace period"


def test_under_a_backlog_the_sweep_takes_every_expired_lease_but_few_pending(
    sessions: sessionmaker[Session],
) -> None:
    waiting = [create_delivery(sessions, due_at=NOW - timedelta(minutes=m)) for m in (2, 6, 4)]
    stale = create_delivery(
        sessions, due_at=NOW, status="sending", lease_until=NOW - timedelta(seconds=1)
    )
    with sessions() as session, session.begin():
        found = service.due_deliveries(
            session, now=NOW, grace=timedelta(seconds=40), limit=100, overdue_limit=1
        )
    assert found == [stale, waiting[1]], "the dead worker's claim, then the oldest pending one"


def test_alert_is_built_from_the_case_and_response(sessions: sessionmaker[Session]) -> None:
    delivery_id = create_delivery(
        sessions, case_fields={"response_fields": {"comment": HOSTILE_COMMENT, "ces": 6}}
    )
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        alert = alert_content.build_alert(delivery, public_url="https://cx.example.com/")
    assert alert.case_url == f"https://cx.example.com/cases/{alert.case_id}"
    assert alert.comment == HOSTILE_COMMENT
    assert alert.scores_text == "NPS 2/10, CSAT 1/5, CES 6/7"
    assert alert.reasons == ("NPS 2 is a detractor score", "negative comment")
    assert alert.respondent == "Ada Customer <ada@example.com>"
    assert (alert.touchpoint, alert.priority, alert.receiver) == ("delivery", "p1", "delivery-team")


def test_reasons_are_read_from_a_list_or_a_mapping() -> None:
    assert alert_content.reasons_of(["a", "b"]) == ("a", "b")
    assert alert_content.reasons_of({"reasons": ["a"]}) == ("a",)
    assert alert_content.reasons_of({"reasons": [{"text": "a", "code": "nps"}]}) == ("a",)
    assert alert_content.reasons_of(None) == ()


def test_the_alert_carries_the_deadlines_survey_date_and_the_attributes_the_routes_name(
    sessions: sessionmaker[Session],
) -> None:
    due = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
    delivery_id = create_delivery(
        sessions,
        case_fields={
            "ack_due_at": due, "resolve_due_at": due + timedelta(days=2),
            "analysis": {"alert_attributes": ["plan", "region", "tier"]},
            "response_fields": {
                "respondent_id": "c-77", "attributes": {"plan": "gold", "region": "eu", "x": "1"},
            },
        },
    )  # fmt: skip
    with sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        alert = alert_content.build_alert(delivery, public_url="https://cx.example.com/")
    assert (alert.ack_due_at, alert.resolve_due_at) == (due, due + timedelta(days=2))
    assert alert.submitted_at == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert alert.customer == (("customer id", "c-77"), ("plan", "gold"), ("region", "eu"))


def test_a_receiver_without_personal_data_gets_the_case_link_only(
    sessions: sessionmaker[Session],
) -> None:
    delivery_id = create_delivery(
        sessions,
        case_fields={
            "analysis": {"alert_attributes": ["plan"], "private_receivers": ["delivery-team"]},
            "response_fields": {"comment": "I am Ada, call me on 0612345678",
                                "respondent_id": "c-77", "attributes": {"plan": "gold"}},
        },
    )  # fmt: skip
    with sessions() as session:
        delivery = session.get_one(Delivery, delivery_id)
        alert = alert_content.build_alert(delivery, public_url="https://cx.example.com/")
    email = render_email(alert)
    shown = [email.subject, email.text, email.html, json.dumps(slack_message(alert))]
    for part in shown:
        for secret in ("Ada", "ada@example.com", "0612345678", "c-77", "gold"):
            assert secret not in part, (secret, part[:300])
        assert f"https://cx.example.com/cases/{alert.case_id}" in part or part == email.subject
    assert "kept out of this alert: open the case" in email.text
    assert alert.headline.endswith("the comment is on the case page")
    assert alert.scores_text == "NPS 2/10, CSAT 1/5"  # scores are not personal data


def test_personal_data_follows_the_receiver_and_an_owner_escalation_follows_the_owner() -> None:
    analysis = {"private_receivers": ["hr-team"]}
    assert alert_content.is_private(Delivery(kind="assignment", receiver="hr-team"), "x", analysis)
    to_ops = Delivery(kind="assignment", receiver="ops")
    assert not alert_content.is_private(to_ops, "hr-team", analysis)
    escalation = Delivery(kind="escalation", receiver="owner")
    assert alert_content.is_private(escalation, "hr-team", analysis)
    assert not alert_content.is_private(escalation, "ops", analysis)
    assert not alert_content.is_private(escalation, "ops", None)  # cases from before the setting
