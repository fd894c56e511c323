"""Acting from a Slack alert: the stand-in clicks as Slack does, signed, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.cli import user as user_cli
from services.desk.config import desk_config
from services.desk.escalation import check_sla
from services.desk.flows import snooze_until
from services.desk.models import ActionReceipt, User
from services.notifier.flows import deliver
from services.notifier.formatting import slack_message
from shared.db import transaction
from shared.models import Case, CaseEvent, Delivery, TouchpointCorrection
from shared.routes_file import touchpoint_names
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK, EXAMPLE_ROUTES
from shared.settings.secret import Secret
from tests.desk.conftest import NOW, World
from tests.desk.factories import T0
from tests.notifier.alerts import alert
from tests.support.serving import serve
from tests.support.slack_standin import SlackStandin, slack_standin

DORA, VIC, STRANGER = "U0DORA", "U0VIC", "U0NOBODY"


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with slack_standin() as standin:
        standin.members.update({DORA: "dora@example.com", VIC: "vic@example.com"})
        yield standin


@pytest.fixture
def desk_settings(desk_settings: Settings, slack: SlackStandin) -> Settings:
    return desk_settings.with_(
        slack_signing_secret=Secret(slack.signing_secret), slack_token=Secret(slack.token),
        slack_api_url=slack.api_url, public_url="https://cx.example.com",
    )  # fmt: skip


@pytest.fixture
def url(app: Flask) -> Iterator[str]:
    """The desk's interactivity endpoint served over real HTTP."""
    with serve(app) as base:
        yield f"{base}/v1/slack/interactions"


def blocks(case_id: int, status: str = "new", touchpoint: str = "delivery") -> list[Any]:
    """The alert's blocks as the notifier posts them."""
    message = slack_message(
        alert(case_id=case_id, status=status, touchpoint=touchpoint,
              touchpoints=touchpoint_names(EXAMPLE_ROUTES),
              case_url=f"https://cx.example.com/cases/{case_id}")
    )  # fmt: skip
    return message["blocks"]


def state(sessions: sessionmaker[Session], case_id: int) -> tuple[Any, ...]:
    """Everything an action could change: the case's fields, its events, receipts."""
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        events = s.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case_id))  # fmt: skip
        receipts = s.scalar(select(func.count()).select_from(ActionReceipt))
        return (case.status, case.assignee_id, case.acknowledged_at, case.snoozed_until,
                case.touchpoint, events, receipts)  # fmt: skip


def element_ids(message_blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in message_blocks if b["type"] == "actions"
            for e in b["elements"]]  # fmt: skip


def test_acknowledge_updates_the_message_in_place_and_a_replay_changes_nothing(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    case_id = world.delivery_case
    payload = slack.block_actions(blocks(case_id), user=DORA, action_id="acknowledge")
    body, headers = slack.signed(payload)
    answer = requests.post(url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.status == "acknowledged"
        assert case.acknowledged_at == NOW
        event = s.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                 CaseEvent.action == "acknowledge"))  # fmt: skip
        assert event is not None and event.actor == "dora@example.com"
        user = s.scalar(select(User).where(User.email == "dora@example.com"))
        assert user is not None and user.slack_user_id == DORA  # linked by email on first use

    [update] = slack.replies
    assert update.path == urlsplit(payload["response_url"]).path
    assert update.body["replace_original"] is True
    new_blocks = update.body["blocks"]
    status = next(b for b in new_blocks if b.get("block_id") == "cx_status")
    assert "Dora acknowledged the case" in status["elements"][-1]["text"]
    assert "acknowledge" not in element_ids(new_blocks)  # no longer offered
    assert {"take", "snooze_1h", "snooze_tomorrow", "touchpoint"} <= set(element_ids(new_blocks))
    assert new_blocks[0] == blocks(case_id)[0]  # the alert itself is kept

    before = state(sessions, case_id)
    replay = requests.post(url, data=body, headers=headers, timeout=10)
    assert replay.status_code == 200 and replay.json()["message"] == "already handled"
    assert state(sessions, case_id) == before
    assert len(slack.replies) == 1


@pytest.mark.parametrize(
    ("signing", "tamper", "message"),
    [
        ({"secret": "not-the-secret"}, False, "does not match"),
        ({"timestamp": 1}, False, "five minutes"),
        ({"timestamp": 10**10}, False, "five minutes"),
        ({}, True, "does not match"),
    ],
)
def test_bad_signature_or_stale_timestamp_is_refused_and_changes_nothing(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session],
    signing: dict[str, Any], tamper: bool, message: str,
) -> None:  # fmt: skip
    payload = slack.block_actions(blocks(world.delivery_case), user=DORA, action_id="acknowledge")
    before = state(sessions, world.delivery_case)
    body, headers = slack.signed(payload, **signing)
    if tamper:
        body = body.replace(b"acknowledge", b"snooze_1h")
    answer = requests.post(url, data=body, headers=headers, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["code"] == 401 and message in answer.json()["message"]
    assert state(sessions, world.delivery_case) == before
    assert slack.replies == []


def test_missing_signature_headers_are_refused(url: str, world: World) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = requests.post(url, data=b"payload=%7B%7D", headers=form, timeout=10)
    assert answer.status_code == 401
    assert set(answer.json()) == {"code", "status", "message", "errors"}


@pytest.mark.parametrize(
    ("user", "case_key", "action", "code", "said"),
    [
        (STRANGER, "delivery", "acknowledge", 403, "not linked"),
        (VIC, "delivery", "acknowledge", 403, "may not change"),  # a viewer
        (DORA, "store", "acknowledge", 404, "not found"),  # another team's case
        (DORA, "missing", "acknowledge", 404, "not found"),
    ],
)
def test_refusals_answer_the_clicker_privately_and_change_nothing(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session],
    user: str, case_key: str, action: str, code: int, said: str,
) -> None:  # fmt: skip
    case_id = {"delivery": world.delivery_case, "store": world.store_case,
               "missing": 999_999}[case_key]  # fmt: skip
    watched = world.store_case if case_key == "store" else world.delivery_case
    before = state(sessions, watched)
    answer = slack.click(url, slack.block_actions(blocks(case_id), user=user, action_id=action))
    assert answer.status_code == 200  # Slack shows its user an error on anything else
    body = answer.json()
    assert body["code"] == code and said in body["message"]
    assert set(body) == {"code", "status", "message", "errors"}
    assert state(sessions, watched) == before
    [note] = slack.replies
    assert note.body["response_type"] == "ephemeral" and note.body["replace_original"] is False
    assert said in note.body["text"]


def test_wrong_state_is_explained_and_changes_nothing(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    case_id = world.delivery_case
    first = slack.click(url, slack.block_actions(blocks(case_id), user=DORA,
                                                 action_id="acknowledge"))  # fmt: skip
    assert first.json()["code"] == 200
    before = state(sessions, case_id)
    again = slack.click(url, slack.block_actions(blocks(case_id), user=DORA,
                                                 action_id="acknowledge"))  # fmt: skip
    assert again.json()["code"] == 409
    assert "cannot acknowledge a case that is acknowledged" in again.json()["message"]
    assert state(sessions, case_id) == before
    assert slack.replies[-1].body["response_type"] == "ephemeral"
    stale = slack.replies[-2].body  # the stale message is brought up to date first
    assert stale["replace_original"] is True and "acknowledge" not in element_ids(stale["blocks"])
    assert "Dora acknowledged the case" in stale["text"]


def test_take_it_assigns_to_the_clicker_and_acknowledges(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    answer = slack.click(url, slack.block_actions(blocks(world.delivery_case), user=DORA,
                                                  action_id="take"))  # fmt: skip
    assert answer.json()["code"] == 200
    with sessions() as s:
        case = s.get(Case, world.delivery_case)
        dora = s.scalar(select(User).where(User.email == "dora@example.com"))
        assert case is not None and dora is not None
        assert (case.assignee_id, case.status, case.acknowledged_at) == (
            dora.id, "acknowledged", NOW)  # fmt: skip
    assert "Dora took the case" in slack.replies[-1].body["text"]


def test_snooze_until_tomorrow_is_nine_in_the_teams_time_zone(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    answer = slack.click(url, slack.block_actions(blocks(world.delivery_case), user=DORA,
                                                  action_id="snooze_tomorrow"))  # fmt: skip
    assert answer.json()["code"] == 200
    with sessions() as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None
        # The example desk's business hours are Europe/London; NOW is 2026-03-03 16:00 UTC.
        assert case.snoozed_until == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
        assert case.status == "new"  # snoozing is not acknowledging


def test_snooze_presets_follow_the_zone_and_daylight_saving() -> None:
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # London clocks go forward on the 29th
    london, chicago = ZoneInfo("Europe/London"), ZoneInfo("America/Chicago")
    assert snooze_until("1h", now=now, zone=london) == now + timedelta(hours=1)
    assert snooze_until("tomorrow", now=now, zone=london) == datetime(2026, 3, 29, 8, 0,
                                                                      tzinfo=UTC)  # fmt: skip
    # 17:30 in Chicago on the 28th: tomorrow is the 29th there, 09:00 CDT = 14:00 UTC.
    assert snooze_until("tomorrow", now=now, zone=chicago) == datetime(2026, 3, 29, 14, 0,
                                                                       tzinfo=UTC)  # fmt: skip


def test_wrong_touchpoint_asks_the_router_to_move_the_case(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = slack.block_actions(blocks(world.delivery_case), user=DORA, action_id="touchpoint",
                                  option="billing")  # fmt: skip
    answer = slack.click(url, payload)
    assert answer.json()["code"] == 200
    with sessions() as s:
        [correction] = s.scalars(select(TouchpointCorrection)).all()
        assert (correction.case_id, correction.from_touchpoint, correction.to_touchpoint,
                correction.actor) == (world.delivery_case, "delivery", "billing",
                                      "dora@example.com")  # fmt: skip
    assert "moved the case to touchpoint billing" in slack.replies[-1].body["text"]


def test_a_touchpoint_that_is_not_configured_is_refused(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = slack.block_actions(blocks(world.delivery_case), user=DORA, action_id="touchpoint",
                                  option="billing")  # fmt: skip
    payload["actions"][0]["selected_option"]["value"] = f"{world.delivery_case}:spaceport"
    before = state(sessions, world.delivery_case)
    answer = slack.click(url, payload)
    assert answer.json()["code"] == 422 and "unknown touchpoint" in answer.json()["message"]
    assert state(sessions, world.delivery_case) == before


def test_unknown_action_and_malformed_payload_are_bad_requests(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = slack.block_actions(blocks(world.delivery_case), user=DORA, action_id="take")
    payload["actions"][0]["action_id"] = "delete_everything"
    before = state(sessions, world.delivery_case)
    answer = slack.click(url, payload)
    assert answer.status_code == 400 and "actions.0.action_id" in answer.json()["errors"]
    answer = requests.post(url, data=b"nonsense", headers=slack.sign(b"nonsense"), timeout=10)
    assert answer.status_code == 400 and "payload=<json>" in answer.json()["message"]
    answer = requests.post(url, data=b"nonsense", headers=slack.sign(b"other"), timeout=10)
    assert answer.status_code == 401  # the signature covers the raw body
    assert state(sessions, world.delivery_case) == before


def test_without_a_signing_secret_interactivity_is_off(
    app: Flask, world: World, slack: SlackStandin
) -> None:
    settings = app.extensions["desk"].settings
    app.extensions["desk"] = replace(
        app.extensions["desk"], settings=settings.with_(slack_signing_secret=Secret(""))
    )
    payload = slack.block_actions(blocks(world.delivery_case), user=DORA, action_id="take")
    body, headers = slack.signed(payload)
    answer = app.test_client().post("/v1/slack/interactions", data=body, headers=headers)
    assert answer.status_code == 503 and "CXLOOP_SLACK_SIGNING_SECRET" in answer.json["message"]


def test_acknowledging_from_slack_stops_the_escalation_chain(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    config = desk_config(EXAMPLE_DESK)
    breached = T0 + timedelta(hours=3)  # p2 delivery: acknowledge within 2 business hours
    assert len(check_sla(sessions, config=config, now=breached)) >= 1
    answer = slack.click(url, slack.block_actions(blocks(world.delivery_case), user=DORA,
                                                  action_id="acknowledge"))  # fmt: skip
    assert answer.json()["code"] == 200
    for hours in (2, 8, 9):  # when the team lead, then the champions, would have heard
        check_sla(sessions, config=config, now=breached + timedelta(hours=hours))
    with sessions() as s:
        steps = s.scalars(select(CaseEvent.detail).where(
            CaseEvent.action == "escalate", CaseEvent.case_id == world.delivery_case))  # fmt: skip
        assert [d["step"] for d in steps] == [1]
        # The other case, never acknowledged, went up the whole chain meanwhile.
        others = s.scalars(select(CaseEvent.detail).where(
            CaseEvent.action == "escalate", CaseEvent.case_id == world.store_case))  # fmt: skip
        assert [d["step"] for d in others] == [1, 2, 3]


def test_the_posted_alert_is_acted_on_and_updated_in_place(
    app: Flask, url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    """The notifier posts the alert to the stand-in; a click on that very message acts."""
    with transaction(sessions) as s:
        delivery = Delivery(case_id=world.delivery_case, kind="assignment", step=0,
                            receiver="delivery-team", channel="slack",
                            target="channel:#cx-delivery")  # fmt: skip
        s.add(delivery)
        s.flush()
        delivery_id = delivery.id
    settings = app.extensions["desk"].settings
    assert deliver(sessions, settings, delivery_id, limiter=None).status == "sent"
    [post] = slack.posts
    answer = slack.click(url, slack.block_actions(post.body["blocks"], user=DORA,
                                                  action_id="snooze_1h"))  # fmt: skip
    assert answer.json()["code"] == 200
    with sessions() as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None and case.snoozed_until == NOW + timedelta(hours=1)
    [update] = slack.replies
    assert update.body["blocks"][0] == post.body["blocks"][0]  # the same alert, updated
    assert "Dora snoozed the case until Tue 3 Mar 17:00 UTC" in update.body["text"]


def test_an_admin_links_someone_whose_slack_email_differs(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session],
    desk_settings: Settings,
) -> None:  # fmt: skip
    other = "U0DORA2"  # Slack knows her as dora@personal.example
    slack.members[other] = "dora@personal.example"
    click = slack.block_actions(blocks(world.delivery_case), user=other, action_id="acknowledge")
    assert slack.click(url, click).json()["code"] == 403
    env = desk_settings.to_env()
    runner = CliRunner()
    bad = runner.invoke(user_cli, ["slack", "--email", "dora@example.com", "--member", "nope"],
                        env=env)  # fmt: skip
    assert bad.exit_code != 0 and "not a Slack member id" in bad.output
    done = runner.invoke(user_cli, ["slack", "--email", "dora@example.com", "--member", other],
                         env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    again = slack.block_actions(blocks(world.delivery_case), user=other, action_id="acknowledge")
    assert slack.click(url, again).json()["code"] == 200
    taken = runner.invoke(user_cli, ["slack", "--email", "vic@example.com", "--member", other],
                          env=env)  # fmt: skip
    assert taken.exit_code != 0 and "linked to dora@example.com" in taken.output


def test_the_same_click_twice_at_once_acts_once(
    url: str, slack: SlackStandin, world: World, sessions: sessionmaker[Session]
) -> None:
    payload = slack.block_actions(blocks(world.delivery_case), user=DORA, action_id="snooze_1h")
    body, headers = slack.signed(payload)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: requests.post(url, data=body, headers=headers,
                                                        timeout=20), range(4)))  # fmt: skip
    assert {a.status_code for a in answers} == {200}
    messages = sorted(a.json()["message"] for a in answers)
    assert messages.count("snooze_1h done") == 1, messages
    with sessions() as s:
        snoozes = s.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.action == "snooze"))  # fmt: skip
        assert snoozes == 1
