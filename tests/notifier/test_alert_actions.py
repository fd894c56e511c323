"""Alerts offer the actions: Slack buttons and a touchpoint picker, signed links in email."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from services.notifier import flows
from services.notifier.formatting import render_email, slack_message
from shared import alert_actions as aa
from shared.settings import Settings
from tests.notifier.alerts import alert
from tests.notifier.factories import create_delivery
from tests.support.slack_standin import SlackStandin
from tests.support.smtp import SMTPRecorder

TOUCHPOINTS = ("website", "delivery", "billing")


def elements(message: dict[str, object]) -> dict[str, dict[str, object]]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    return {e["action_id"]: e for e in actions["elements"]}


def test_a_new_case_alert_offers_every_action_in_slack() -> None:
    found = elements(slack_message(alert(status="new", touchpoints=TOUCHPOINTS)))
    assert list(found) == ["open_case", "acknowledge", "take", "snooze_1h", "snooze_tomorrow",
                           "touchpoint"]  # fmt: skip
    assert found["acknowledge"]["value"] == "42"
    assert found["snooze_tomorrow"]["text"] == {"type": "plain_text",
                                                "text": "Snooze until tomorrow 09:00"}  # fmt: skip
    picker = found["touchpoint"]
    assert picker["type"] == "static_select"
    assert [o["value"] for o in picker["options"]] == ["42:website", "42:billing"]  # type: ignore[index]


def test_only_what_still_applies_is_offered() -> None:
    acknowledged = elements(slack_message(alert(status="acknowledged", touchpoints=TOUCHPOINTS)))
    assert "acknowledge" not in acknowledged and "take" in acknowledged
    moved_away = elements(slack_message(alert(kind="rerouted", status="new")))
    assert list(moved_away) == ["open_case"]
    unknown = elements(slack_message(alert()))  # built without a status: nothing to act on
    assert list(unknown) == ["open_case"]


def test_email_links_are_shown_and_escaped() -> None:
    links = (("Acknowledge", "https://cx.example.com/actions/abc.def"),
             ("Take it", "https://cx.example.com/actions/x?y=1&z=<2>"))  # fmt: skip
    content = render_email(alert(status="new", links=links))
    assert "Acknowledge: https://cx.example.com/actions/abc.def" in content.text
    assert 'href="https://cx.example.com/actions/x?y=1&amp;z=&lt;2&gt;"' in content.html
    assert "works once" in content.html


def test_a_sent_email_carries_signed_links_for_its_addressee(
    sessions: sessionmaker[Session], notifier_settings: Settings, smtp: SMTPRecorder
) -> None:
    delivery_id = create_delivery(sessions, case_fields={"status": "new"})
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "sent"
    [mail] = smtp.messages
    body = mail.message.get_body(("plain",))
    assert body is not None
    urls = re.findall(r"^(.+?): (https://cx\.example\.com/actions/\S+?)\r?$",
                      body.get_content(), re.MULTILINE)  # fmt: skip
    assert [label for label, _ in urls] == [aa.LABELS[a] for a in aa.ACTIONS]
    for label, url in urls:
        token = url.rsplit("/", 1)[1]
        link = aa.read_link(str(notifier_settings.secret_key), token, max_age=60)
        assert (aa.LABELS[link.action], link.email) == (label, "delivery-lead@example.com")
    assert len({url for _, url in urls}) == len(urls)


def test_a_slack_post_carries_the_buttons(
    sessions: sessionmaker[Session], notifier_settings: Settings, slack: SlackStandin
) -> None:
    delivery_id = create_delivery(sessions, channel="slack", target="channel:#cx-delivery",
                                  case_fields={"status": "new"})  # fmt: skip
    assert flows.deliver(sessions, notifier_settings, delivery_id, limiter=None).status == "sent"
    [post] = slack.posts
    found = elements(post.body)
    assert {"acknowledge", "take", "snooze_1h", "snooze_tomorrow", "touchpoint"} <= set(found)
    options = found["touchpoint"]["options"]
    assert isinstance(options, list) and "billing" in [o["text"]["text"] for o in options]


def test_the_story_of_a_case_says_who_did_what_in_words() -> None:
    at = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    names = {"ana@example.com": "Ana", "dora@example.com": "Dora"}
    events = [
        ("created", "router", at, {}),
        ("acknowledge", "ana@example.com", at, {}),
        ("note", "ana@example.com", at, {"length": 3}),
        ("assign", "ana@example.com", at, {"assignee": "dora@example.com", "after": {}}),
        ("assign", "ana@example.com", at, {"after": {"team": "stores"}}),
        ("assign", "ana@example.com", at, {"after": {"assignee_id": None}}),
        ("snooze", "dora@example.com", at,
         {"after": {"snoozed_until": "2026-03-04T08:00:00+00:00"}}),
        ("touchpoint_corrected", "dora@example.com", at, {"after": {"touchpoint": "billing"}}),
        ("escalate", "escalation", at, {"step": 1}),
        ("wait", "dora@example.com", at, {}),
        ("resume", "router", at, {"reply_response_id": 7}),
    ]  # fmt: skip
    lines = aa.story(events, lambda who: names.get(who, who))
    assert [line.removesuffix(" · Tue 3 Mar 16:00 UTC") for line in lines] == [
        "Ana acknowledged the case",
        "Ana assigned the case to Dora",
        "Ana assigned the case to team stores",
        "Ana unassigned the case",
        "Dora snoozed the case until Wed 4 Mar 08:00 UTC",
        "Dora moved the case to touchpoint billing (re-routed)",
        "Dora put the case on hold until the customer answers",
        "The customer answered, so the case resumed",
    ]
    many = aa.story([("acknowledge", f"p{n}", at, {}) for n in range(15)], str)
    assert len(many) == 10 and many[-1].startswith("p14 ")  # the ten newest
