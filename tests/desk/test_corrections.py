"""Correcting a case's touchpoint: the API and the case page store it and hand it to the router."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.router import reroute
from services.router.config import load_config
from services.router.decision import detector_for
from shared import task_names
from shared.db import transaction
from shared.models import Case, CaseEvent, TouchpointCorrection
from shared.settings import Settings
from tests.desk.conftest import NOW, World, auth
from tests.desk.test_pages import csrf, log_in


def router_tasks(redis_url: str) -> list[tuple[str, str]]:
    """The (task, args) waiting in the router's queue."""
    queued = redis.Redis.from_url(redis_url).lrange(task_names.ROUTER_QUEUE, 0, -1)
    return [
        (json.loads(m)["headers"]["task"], json.loads(m)["headers"]["argsrepr"]) for m in queued
    ]


def stored(sessions: sessionmaker[Session], case_id: int) -> tuple[Any, ...]:
    """What a correction request may change: corrections, events, and the case's routing."""
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return (
            session.scalar(select(func.count()).select_from(TouchpointCorrection)),
            session.scalar(select(func.count()).select_from(CaseEvent)),
            case.touchpoint,
            case.owner,
            case.status,
        )


def test_a_champion_corrects_the_touchpoint_and_the_router_is_asked_to_reroute(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], redis_url: str
) -> None:
    response = client.post(
        f"/v1/cases/{world.delivery_case}/touchpoint",
        json={"touchpoint": "billing", "note": "They were charged twice"},
        headers=auth(world, "champion"),
    )
    assert response.status_code == 202, response.json
    body = response.json
    assert body["touchpoint"] == "delivery"  # the router moves it; until then it is pending
    [pending] = body["corrections"]
    assert (pending["from_touchpoint"], pending["to_touchpoint"]) == ("delivery", "billing")
    assert pending["actor"] == "champ@example.com" and pending["applied_at"] is None
    assert body["touchpoint_choices"] == []  # one correction at a time
    event = body["timeline"][-1]
    assert event["action"] == "touchpoint_corrected" and event["actor"] == "champ@example.com"
    assert event["detail"] == {
        "before": {"touchpoint": "delivery"}, "after": {"touchpoint": "billing"},
        "note": "They were charged twice", "correction_id": pending["id"],
    }  # fmt: skip
    with sessions() as session:
        correction = session.get(TouchpointCorrection, pending["id"])
        assert correction is not None
        assert correction.comment == "Courier threw the parcel over the fence"  # the label's text
        assert correction.at == NOW
    assert router_tasks(redis_url) == [(task_names.REROUTE_CASE, f"[{pending['id']}]")]


def test_the_owning_team_may_correct_its_own_case(client: FlaskClient, world: World) -> None:
    response = client.post(
        f"/v1/cases/{world.delivery_case}/touchpoint", json={"touchpoint": "general"},
        headers=auth(world, "owner"),
    )  # fmt: skip
    assert response.status_code == 202
    assert response.json["corrections"][0]["to_touchpoint"] == "general"  # the default is offered


@pytest.mark.parametrize(
    ("role", "case", "body", "status", "field", "message"),
    [
        ("champion", "missing", {"touchpoint": "billing"}, 404, None, "not found"),
        ("viewer", "delivery", {"touchpoint": "billing"}, 403, None, "may not change"),
        ("other_owner", "delivery", {"touchpoint": "billing"}, 404, None, "not found"),
        ("champion", "delivery", {"touchpoint": "parking"}, 422, "touchpoint",
         "unknown touchpoint 'parking'; use one of: website, checkout"),
        ("champion", "delivery", {"touchpoint": "delivery"}, 422, "touchpoint",
         "the case is already at touchpoint 'delivery'"),
        ("champion", "delivery", {}, 422, "touchpoint", "Missing data"),
        ("champion", "delivery", {"touchpoint": "billing", "owner": "x"}, 422, "owner", "Unknown"),
        ("champion", "closed", {"touchpoint": "billing"}, 409, None,
         "cannot correct the touchpoint of a case that is closed"),
        ("champion", "resolved", {"touchpoint": "billing"}, 409, None,
         "(allowed from: new, acknowledged, in_progress)"),
    ],
)  # fmt: skip
def test_bad_corrections_get_a_clear_4xx_and_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], redis_url: str,
    role: str, case: str, body: dict[str, Any], status: int, field: str | None, message: str,
) -> None:  # fmt: skip
    case_id = {"missing": 999_999, "delivery": world.delivery_case}.get(case)
    if case_id is None:
        with transaction(sessions) as session:
            row = session.get(Case, world.delivery_case)
            assert row is not None
            row.status = case
        case_id = world.delivery_case
    before = stored(sessions, world.delivery_case)
    response = client.post(f"/v1/cases/{case_id}/touchpoint", json=body, headers=auth(world, role))
    assert response.status_code == status, response.json
    assert set(response.json) == {"code", "status", "message", "errors"}
    text = " ".join(response.json["errors"].get(field, [])) if field else response.json["message"]
    assert message in text
    assert stored(sessions, world.delivery_case) == before
    assert router_tasks(redis_url) == []


def test_a_second_correction_waits_for_the_first_to_be_applied(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], settings: Settings
) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}/touchpoint", auth(world, "champion")
    assert client.post(url, json={"touchpoint": "billing"}, headers=headers).status_code == 202
    busy = client.post(url, json={"touchpoint": "store"}, headers=headers)
    assert busy.status_code == 409
    assert "still being applied" in busy.json["message"]
    config = load_config(settings.routes_file)
    with transaction(sessions) as session:
        correction_id = session.scalars(select(TouchpointCorrection.id)).one()
        reroute.apply_correction(
            session, correction_id=correction_id, config=config, detector=detector_for(config),
            now=NOW,
        )  # fmt: skip
    moved = client.post(url, json={"touchpoint": "store"}, headers=headers)
    assert moved.status_code == 202
    assert moved.json["corrections"][-1]["from_touchpoint"] == "billing"


def test_the_case_page_offers_the_correction_to_those_allowed_and_shows_the_move(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], settings: Settings
) -> None:
    page = f"/cases/{world.delivery_case}"
    log_in(client, "vic@example.com")
    assert "Wrong touchpoint?" not in client.get(page).text
    client.post("/logout", data={"csrf_token": csrf(client, "/queue")})

    log_in(client, "champ@example.com")
    html = client.get(page).text
    assert "Wrong touchpoint?" in html
    assert "confirms-touchpoint" not in html  # no routing decision recorded for this case
    with transaction(sessions) as session:
        routed = session.get(Case, world.delivery_case)
        assert routed is not None
        routed.touchpoints = {"chosen": "delivery", "source": "detected"}
        routed.status = "acknowledged"  # resolvable
    resolve_form = client.get(page).text.split("<h3>Resolve</h3>")[1].split("</form>")[0]
    assert "Resolving confirms delivery as this case's touchpoint" in resolve_form
    form = html.split('class="correct-touchpoint"')[1].split("</form>")[0]
    assert '<option value="billing">billing</option>' in form
    assert '<option value="delivery">' not in form  # not the touchpoint it already has
    token = csrf(client, page)
    unknown = client.post(f"{page}/touchpoint", data={"touchpoint": "parking", "csrf_token": token})
    assert unknown.status_code == 422 and "unknown touchpoint" in unknown.text
    done = client.post(
        f"{page}/touchpoint",
        data={"touchpoint": "billing", "note": "<b>charged twice</b>", "csrf_token": token},
    )
    assert done.status_code == 303
    html = client.get(page).text
    assert "Wrong touchpoint?" not in html and "moving to billing" in html
    assert "touchpoint: delivery → billing" in html
    assert "&lt;b&gt;charged twice&lt;/b&gt;" in html  # staff text is escaped too

    config = load_config(settings.routes_file)
    with transaction(sessions) as session:
        reroute.apply_correction(
            session, correction_id=session.scalars(select(TouchpointCorrection.id)).one(),
            config=config, detector=detector_for(config), now=NOW,
        )  # fmt: skip
    html = client.get(page).text
    assert "corrected from delivery by champ@example.com" in html
    assert "confirms-touchpoint" not in html  # a corrected case is a correction already
    assert "owner: delivery-team → billing-team" in html
    assert "Told it moved: delivery-team" in html
    assert "Wrong touchpoint?" in html  # the next correction may start from billing


@pytest.mark.parametrize(
    ("source", "comment", "confirms"),
    [
        ("detected", "the parcel came late", True),
        ("default", "meh", True),
        ("explicit", "the parcel came late", False),  # the survey chose it, not the router
        ("corrected", "the parcel came late", False),  # a correction is an example already
        ("detected", "  ", False),  # nothing to learn from
    ],
)
def test_the_case_api_says_whether_resolving_confirms_the_touchpoint(
    client: FlaskClient, world: World, sessions: sessionmaker[Session],
    source: str, comment: str, confirms: bool,
) -> None:  # fmt: skip
    with transaction(sessions) as session:
        case = session.get(Case, world.delivery_case)
        assert case is not None
        case.touchpoints = {"chosen": "delivery", "source": source}
        case.response.comment = comment
    got = client.get(f"/v1/desk/cases/{world.delivery_case}", headers=auth(world, "champion"))
    assert got.status_code == 200
    assert got.json["resolving_confirms_touchpoint"] is confirms


def test_a_closed_case_has_no_correction_form(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        row = session.get(Case, world.delivery_case)
        assert row is not None
        row.status = "closed"
    log_in(client, "champ@example.com")
    assert "Wrong touchpoint?" not in client.get(f"/cases/{world.delivery_case}").text


def test_an_unreadable_routing_file_answers_503_and_hides_the_form(
    app: Flask, client: FlaskClient, world: World, tmp_path: Path
) -> None:
    desk = app.extensions["desk"]
    missing = desk.settings.with_(routes_file=tmp_path / "gone.yml")
    app.extensions["desk"] = replace(desk, settings=missing)
    response = client.post(
        f"/v1/cases/{world.delivery_case}/touchpoint", json={"touchpoint": "billing"},
        headers=auth(world, "champion"),
    )  # fmt: skip
    assert response.status_code == 503
    assert response.json["message"] == "the routing file cannot be read; try again later"
    shown = client.get(f"/v1/desk/cases/{world.delivery_case}", headers=auth(world, "champion"))
    assert shown.status_code == 200 and shown.json["touchpoint_choices"] == []
