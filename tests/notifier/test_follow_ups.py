"""Sending "did we fix it?" questions through a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import load_desk_config
from services.notifier import followup_flows
from shared.db import transaction
from shared.followups import links
from shared.followups.models import FollowUp, FollowUpCustomer
from shared.models import Case, CaseEvent
from shared.settings import Settings
from tests.desk.factories import T0, desk_file_with, resolved_case
from tests.support.smtp import SMTPRecorder

LATER = T0 + timedelta(days=3)  # past the one-day delay after a resolution at T0 + 1d


@pytest.fixture
def follow_up_settings(notifier_settings: Settings, tmp_path: Path) -> Settings:
    return notifier_settings.with_(desk_file=desk_file_with(tmp_path))


def _resolved(settings: Settings, sessions: sessionmaker[Session], **fields: object) -> int:
    config = load_desk_config(settings.desk_file).follow_up
    with transaction(sessions) as session:
        _case, follow_up = resolved_case(session, config, **fields)  # type: ignore[arg-type]
        return follow_up.id


def _follow_up(sessions: sessionmaker[Session], follow_up_id: int) -> FollowUp:
    with sessions() as session:
        follow_up = session.get(FollowUp, follow_up_id)
        assert follow_up is not None
        return follow_up


def _events(sessions: sessionmaker[Session]) -> list[tuple[str, dict[str, object]]]:
    with sessions() as session:
        rows = session.execute(select(CaseEvent.action, CaseEvent.detail).order_by(CaseEvent.id))
        return [(a, d) for a, d in rows]


def test_a_due_question_is_emailed_once_with_signed_answer_and_opt_out_links(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    follow_up_id = _resolved(follow_up_settings, sessions)
    assert followup_flows.sweep(sessions, now=T0 + timedelta(days=1, hours=23)) == []
    assert followup_flows.sweep(sessions, now=LATER) == [follow_up_id]
    for _ in range(3):  # the task delivered three times
        followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER)
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.message["Subject"] == "Did we fix it?"
    assert received.message["From"] == "Retailer Customer Care <care@example.com>"
    text = received.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "We worked on the problem you told us about. Did we fix it?" in text
    answer = re.search(r"https://cx\.example\.com/follow-up/(\S+)", text)
    opt_out = re.search(r"https://cx\.example\.com/follow-up/(\S+)/opt-out", text)
    assert answer is not None and opt_out is not None
    assert links.read("test-secret", answer.group(1), kind=links.ANSWER, max_age=60) == (
        links.Link(follow_up_id, links.ANSWER)
    )
    assert links.read("test-secret", opt_out.group(1), kind=links.OPT_OUT, max_age=60).kind
    assert received.message["List-Unsubscribe"] == f"<{opt_out.group(0)}>"
    html = received.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert html.count("?score=") == 11
    follow_up = _follow_up(sessions, follow_up_id)
    assert (follow_up.status, follow_up.attempts, follow_up.sent_at) == ("sent", 1, LATER)
    assert _events(sessions) == [("follow_up_sent", {"channel": "email", "to": "ann@example.com"})]
    assert followup_flows.sweep(sessions, now=LATER + timedelta(days=1)) == []


def test_a_customers_name_cannot_inject_headers_or_markup(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    name = "<img src=x onerror=alert(1)>\r\nBcc: victim@example.com"
    follow_up_id = _resolved(follow_up_settings, sessions, respondent_name=name)
    assert followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER) == "sent"
    received = smtp.messages[0]
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.message["Bcc"] is None
    html = received.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"reached": False}, "nobody reached the customer about this case"),
        ({"respondent_email": None}, "the response has no email address"),
    ],
)
def test_a_customer_nobody_reached_or_without_address_is_never_asked(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder,
    fields: dict[str, object], reason: str,
) -> None:  # fmt: skip
    follow_up_id = _resolved(follow_up_settings, sessions, **fields)
    assert followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER) == "skipped"
    follow_up = _follow_up(sessions, follow_up_id)
    assert (follow_up.status, follow_up.reason) == ("skipped", reason)
    assert smtp.messages == []
    assert _events(sessions) == [("follow_up_skipped", {"reason": reason})]


def test_a_case_reopened_before_its_question_is_not_asked(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    follow_up_id = _resolved(follow_up_settings, sessions)
    with transaction(sessions) as session:
        case = session.scalar(select(Case))
        assert case is not None
        case.status = "in_progress"
    assert followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER) == "skipped"
    assert "no longer resolved" in str(_follow_up(sessions, follow_up_id).reason)
    assert smtp.messages == []


def test_an_opted_out_customer_is_never_asked_again_by_email_or_respondent_id(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    with transaction(sessions) as session:
        session.add(FollowUpCustomer(key="respondent:test:cust-1", opted_out_at=T0, updated_at=T0))
    # A new address, but the survey tool's id says it is the same customer.
    follow_up_id = _resolved(
        follow_up_settings, sessions, respondent_email="ann.new@example.com",
        respondent_id="cust-1",
    )  # fmt: skip
    assert followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER) == "skipped"
    assert _follow_up(sessions, follow_up_id).reason == "the customer opted out of follow-ups"
    assert smtp.messages == []


def test_a_customer_asked_within_n_days_is_not_asked_again(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    first = _resolved(follow_up_settings, sessions)
    second = _resolved(follow_up_settings, sessions, resolved_at=T0 + timedelta(days=20))
    third = _resolved(follow_up_settings, sessions, resolved_at=T0 + timedelta(days=40))
    assert followup_flows.send(sessions, follow_up_settings, first, now=LATER) == "sent"
    at_21 = T0 + timedelta(days=22)
    assert followup_flows.send(sessions, follow_up_settings, second, now=at_21) == "skipped"
    assert "asked within 30 days" in str(_follow_up(sessions, second).reason)
    at_42 = T0 + timedelta(days=42)
    assert followup_flows.send(sessions, follow_up_settings, third, now=at_42) == "sent"
    assert [m.rcpt_tos for m in smtp.messages] == [["ann@example.com"], ["ann@example.com"]]
    with sessions() as session:
        customer = session.get(FollowUpCustomer, "email:ann@example.com")
        assert customer is not None
        assert (customer.last_asked_at, customer.last_follow_up_id) == (at_42, third)


def test_two_cases_of_one_customer_due_together_make_one_question(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    ids = [_resolved(follow_up_settings, sessions) for _ in range(2)]
    outcomes = [followup_flows.send(sessions, follow_up_settings, i, now=LATER) for i in ids]
    assert outcomes == ["sent", "skipped"]
    assert len(smtp.messages) == 1


def test_an_smtp_outage_is_retried_and_a_refused_address_fails_for_good(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    retried = _resolved(follow_up_settings, sessions)
    smtp.fail_next(1, "451 4.3.0 Try again later")
    assert followup_flows.send(sessions, follow_up_settings, retried, now=LATER) == "retry"
    follow_up = _follow_up(sessions, retried)
    assert (follow_up.status, follow_up.attempts) == ("scheduled", 1)
    assert "451" in str(follow_up.last_error) and follow_up.due_at > LATER
    # The retry is not stopped by the "asked recently" mark its own first attempt left.
    assert followup_flows.sweep(sessions, now=follow_up.due_at) == [retried]
    assert followup_flows.send(sessions, follow_up_settings, retried, now=follow_up.due_at) == (
        "sent"
    )
    assert len(smtp.messages) == 1

    refused = _resolved(follow_up_settings, sessions, respondent_email="bob@example.com")
    smtp.fail_next(1, "550 5.1.1 No such user")
    assert followup_flows.send(sessions, follow_up_settings, refused, now=LATER) == "failed"
    assert _follow_up(sessions, refused).status == "failed"
    assert followup_flows.sweep(sessions, now=LATER + timedelta(days=1)) == []
    assert ("follow_up_failed", {"error": "SMTP 550: 5.1.1 No such user"}) in _events(sessions)


def test_a_claim_whose_worker_died_is_sent_again_after_its_lease(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    from shared.followups import service as followups

    follow_up_id = _resolved(follow_up_settings, sessions)
    with transaction(sessions) as session:  # claimed, then the worker was killed
        config = load_desk_config(follow_up_settings.desk_file).follow_up
        assert followups.claim(session, follow_up_id=follow_up_id, now=LATER,
                               lease=timedelta(seconds=30), config=config)  # fmt: skip
    assert followup_flows.sweep(sessions, now=LATER + timedelta(seconds=10)) == []
    again = LATER + timedelta(seconds=31)
    assert followup_flows.sweep(sessions, now=again) == [follow_up_id]
    assert followup_flows.send(sessions, follow_up_settings, follow_up_id, now=again) == "sent"
    assert (len(smtp.messages), _follow_up(sessions, follow_up_id).attempts) == (1, 2)


def test_without_an_smtp_host_the_follow_up_fails_visibly_instead_of_retrying(
    sessions: sessionmaker[Session], follow_up_settings: Settings
) -> None:
    follow_up_id = _resolved(follow_up_settings, sessions)
    unset = follow_up_settings.with_(smtp_host="")
    assert followup_flows.send(sessions, unset, follow_up_id, now=LATER) == "failed"
    assert (
        _follow_up(sessions, follow_up_id).last_error
        == "no SMTP host configured (CXLOOP_SMTP_HOST)"
    )
    assert followup_flows.sweep(sessions, now=LATER + timedelta(days=1)) == []


def test_an_outage_longer_than_the_delivery_budget_fails_the_follow_up(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    follow_up_id = _resolved(follow_up_settings, sessions)
    short = follow_up_settings.with_(delivery_budget_s=600.0)
    smtp.fail_next(2, "421 4.3.2 Service not available")
    assert followup_flows.send(sessions, short, follow_up_id, now=LATER) == "retry"
    later = LATER + timedelta(seconds=601)
    assert followup_flows.send(sessions, short, follow_up_id, now=later) == "failed"
    follow_up = _follow_up(sessions, follow_up_id)
    assert (follow_up.status, follow_up.attempts) == ("failed", 2)
    assert str(follow_up.last_error).startswith("gave up after 2 attempts in 601s: SMTP 421")
    assert smtp.messages == []


def test_turning_follow_ups_off_skips_the_scheduled_ones(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder,
    tmp_path: Path,
) -> None:  # fmt: skip
    follow_up_id = _resolved(follow_up_settings, sessions)
    (tmp_path / "off").mkdir()
    off = follow_up_settings.with_(desk_file=desk_file_with(tmp_path / "off", enabled=False))
    assert followup_flows.send(sessions, off, follow_up_id, now=LATER) == "skipped"
    assert "turned off" in str(_follow_up(sessions, follow_up_id).reason)
    assert smtp.messages == []


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_workers_ask_one_customer_once(
    sessions: sessionmaker[Session], follow_up_settings: Settings, smtp: SMTPRecorder
) -> None:
    ids = [_resolved(follow_up_settings, sessions) for _ in range(6)]
    start = threading.Barrier(len(ids))

    def send(follow_up_id: int) -> str:
        start.wait()
        return followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER)

    with ThreadPoolExecutor(len(ids)) as pool:
        outcomes = list(pool.map(send, ids))
    for follow_up_id in followup_flows.sweep(sessions, now=LATER):  # the "busy" ones, again
        outcomes.append(followup_flows.send(sessions, follow_up_settings, follow_up_id, now=LATER))
    assert outcomes.count("sent") == 1 and len(smtp.messages) == 1
    statuses = sorted(_follow_up(sessions, i).status for i in ids)
    assert statuses == ["sent"] + ["skipped"] * 5
