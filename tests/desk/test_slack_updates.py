"""A case acted on anywhere (desk pages, API, email link) updates its posted Slack alerts in place.

The notifier posts with the bot token to the Slack stand-in over real HTTP; the desk's action
queues `notifier.refresh_alerts` on real Redis; the task's body then edits the message there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.notifier.flows import deliver
from services.notifier.updates import posted, refresh
from shared import alert_actions as aa
from shared import task_names
from shared.db import transaction
from shared.models import Delivery
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.desk.conftest import World, auth
from tests.desk.test_alert_links import confirm
from tests.desk.test_alert_links import link as link_path
from tests.desk.test_pages import csrf, log_in
from tests.support.slack_standin import Answer, SlackStandin, slack_standin

CHANNEL = "#cx-delivery"
WEBHOOK = "CXLOOP_SLACK_WEBHOOK_DELIVERY"


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with slack_standin() as standin:
        yield standin


@pytest.fixture
def desk_settings(desk_settings: Settings, slack: SlackStandin) -> Settings:
    return desk_settings.with_(
        slack_token=Secret(slack.token), slack_api_url=slack.api_url,
        slack_webhooks={WEBHOOK: Secret(slack.webhook_url)}, public_url="https://cx.example.com",
    )  # fmt: skip


def post_alert(app: Flask, sessions: sessionmaker[Session], case_id: int, target: str) -> int:
    """Have the notifier post the case's alert to Slack; return the delivery's id."""
    with transaction(sessions) as s:
        delivery = Delivery(case_id=case_id, kind="assignment", step=0, receiver="delivery-team",
                            channel="slack", target=target)  # fmt: skip
        s.add(delivery)
        s.flush()
        delivery_id = delivery.id
    settings = app.extensions["desk"].settings
    assert deliver(sessions, settings, delivery_id, limiter=None).status == "sent"
    return delivery_id


def refresh_tasks(redis_url: str) -> list[str]:
    """The arguments of every refresh task the desk queued for the notifier."""
    queued = [json.loads(m)["headers"] for m in redis.Redis.from_url(redis_url).lrange(
        task_names.NOTIFIER_QUEUE, 0, -1)]  # fmt: skip
    return [h["argsrepr"] for h in queued if h["task"] == task_names.REFRESH_ALERTS]


def status_lines(message: dict[str, Any]) -> list[str]:
    block = next((b for b in message["blocks"] if b.get("block_id") == "cx_status"), None)
    return [e["text"] for e in block["elements"]] if block else []


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


def test_desk_actions_update_the_posted_alert_in_place(
    app: Flask, client: FlaskClient, world: World, slack: SlackStandin,
    sessions: sessionmaker[Session], redis_url: str,
) -> None:  # fmt: skip
    case_id = world.delivery_case
    delivery_id = post_alert(app, sessions, case_id, f"channel:{CHANNEL}")
    with sessions() as s:
        ref = s.get(Delivery, delivery_id).message_ref  # type: ignore[union-attr]
    posted = slack.message(CHANNEL)
    assert ref == f"{slack.channel_id(CHANNEL)}:{posted['ts']}"
    header = posted["blocks"][0]
    assert "acknowledge" in buttons(posted)
    settings = app.extensions["desk"].settings
    url, owner = f"/v1/cases/{case_id}", auth(world, "owner")

    assert client.post(f"{url}/acknowledge", headers=owner).status_code == 200
    assert refresh_tasks(redis_url) == [f"[{case_id}]"]
    assert refresh(sessions, settings, case_id) is None
    now = slack.message(CHANNEL)
    assert now["blocks"][0] == header  # the same alert, edited
    assert status_lines(now) == ["Dora acknowledged the case · Tue 3 Mar 16:00 UTC"]
    assert "acknowledge" not in buttons(now) and "take" in buttons(now)

    champion = auth(world, "champion")
    resolve = {"root_cause": "carrier_delay", "resolution_note": "Refunded"}
    assigned = client.post(f"{url}/assign", json={"team": "delivery"}, headers=champion)
    assert assigned.status_code == 200
    assert client.post(f"{url}/resolve", json=resolve, headers=champion).status_code == 200
    assert refresh(sessions, settings, case_id) is None
    now = slack.message(CHANNEL)
    assert status_lines(now)[1:] == [
        "Champ assigned the case to team delivery · Tue 3 Mar 16:00 UTC",
        "Champ resolved the case · Tue 3 Mar 16:00 UTC",
    ]
    assert buttons(now) == ["open_case"]  # a resolved case offers nothing more from Slack

    edits = len(slack.updates)
    assert refresh(sessions, settings, case_id) is None  # a repeated task changes nothing
    assert slack.message(CHANNEL) == now and len(slack.updates) == edits + 1


def test_notes_and_webhook_posts_queue_no_update(
    app: Flask, client: FlaskClient, world: World, slack: SlackStandin,
    sessions: sessionmaker[Session], redis_url: str,
) -> None:  # fmt: skip
    """A webhook post has no id to edit (Slack answers "ok"), and a note changes no alert."""
    case_id = world.delivery_case
    delivery_id = post_alert(app, sessions, case_id, f"webhook:{WEBHOOK}")
    with sessions() as s:
        assert s.get(Delivery, delivery_id).message_ref is None  # type: ignore[union-attr]
    url, owner = f"/v1/cases/{case_id}", auth(world, "owner")
    assert client.post(f"{url}/acknowledge", headers=owner).status_code == 200
    assert refresh_tasks(redis_url) == []

    post_alert(app, sessions, world.store_case, f"channel:{CHANNEL}")
    store = f"/v1/cases/{world.store_case}"
    assert client.post(f"{store}/notes", json={"body": "x"}, headers=owner).status_code == 404
    champion = auth(world, "champion")
    assert client.post(f"{store}/notes", json={"body": "x"}, headers=champion).status_code == 200
    assert client.post(f"{store}/start", headers=auth(world, "viewer")).status_code == 403
    assert refresh_tasks(redis_url) == []  # refusals and notes leave the alert as it is


def test_a_deleted_message_is_left_and_an_outage_is_tried_again(
    app: Flask, client: FlaskClient, world: World, slack: SlackStandin,
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    case_id = world.delivery_case
    post_alert(app, sessions, case_id, f"channel:{CHANNEL}")
    post_alert(app, sessions, case_id, "channel:#cx-leads")
    settings = app.extensions["desk"].settings
    assert client.post(f"/v1/cases/{case_id}/acknowledge",
                       headers=auth(world, "owner")).status_code == 200  # fmt: skip

    slack.answer_next(1, Answer(503, "upstream down", headers={"Retry-After": "7"}))
    assert refresh(sessions, settings, case_id) == 7.0  # the other message was still updated
    assert len(slack.updates) == 1

    slack.messages[slack.channel_id(CHANNEL)].clear()  # someone deleted the alert in Slack
    assert refresh(sessions, settings, case_id) is None  # nothing to retry: Slack said no
    assert status_lines(slack.message("#cx-leads"))[-1].startswith("Dora acknowledged")


def test_the_case_page_and_an_email_link_update_the_alert_too(
    app: Flask, client: FlaskClient, world: World, slack: SlackStandin,
    sessions: sessionmaker[Session], redis_url: str,
) -> None:  # fmt: skip
    case_id = world.delivery_case
    post_alert(app, sessions, case_id, f"channel:{CHANNEL}")
    settings = app.extensions["desk"].settings
    link = link_path(case_id, aa.SNOOZE_TOMORROW)
    assert confirm(client, link).status_code == 200  # as Dora, from her alert email
    log_in(client, "champ@example.com")
    page = f"/cases/{case_id}"
    assert client.post(f"{page}/take", data={"csrf_token": csrf(client, page)}).status_code == 303
    assert refresh_tasks(redis_url) == [f"[{case_id}]"] * 2
    assert refresh(sessions, settings, case_id) is None
    lines = status_lines(slack.message(CHANNEL))
    assert [line.split(" · ")[0].split(" until ")[0] for line in lines] == [
        "Dora snoozed the case", "Champ took the case"
    ]  # fmt: skip


def test_only_this_cases_own_sent_alerts_are_edited(
    world: World, sessions: sessionmaker[Session]
) -> None:
    """An incident alert speaks for many cases, a moved-away one needs nothing: left alone."""
    with transaction(sessions) as s:
        for n, (kind, status) in enumerate([("assignment", "sent"), ("escalation", "sent"),
                                            ("rerouted", "sent"), ("incident", "sent"),
                                            ("assignment", "failed")]):  # fmt: skip
            s.add(Delivery(case_id=world.delivery_case, kind=kind, step=n, receiver="r",
                           channel="slack", target="channel:#c", status=status,
                           message_ref=f"C1:{n}.0"))  # fmt: skip
    with sessions() as s:
        assert [d.message_ref for d in posted(s, case_id=world.delivery_case)] == [
            "C1:0.0",
            "C1:1.0",
        ]
