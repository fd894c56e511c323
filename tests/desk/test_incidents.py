"""Incidents on the desk: shown with their cases, resolved together by API, page and browser."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.narrative import timeline_entry
from shared.db import transaction
from shared.enums import CaseStatus
from shared.models import Case, CaseEvent, Incident, IncidentCase
from tests.desk.conftest import World, auth
from tests.desk.factories import PASSWORD, T0, make_case
from tests.desk.test_pages import csrf, log_in
from tests.support.browser import ARGS, CHROMIUM, browser_log_in

RESOLVE = {"root_cause": "carrier_delay", "resolution_note": "Courier depot back online"}


@dataclass
class Seeded:
    incident_id: int
    cases: list[int]  # new, acknowledged, resolved already


@pytest.fixture
def seeded(sessions: sessionmaker[Session], world: World) -> Seeded:
    """An incident of three delivery cases: one new, one acknowledged, one resolved."""
    with transaction(sessions) as s:
        cases = [
            make_case(s, comment="Parcel <b>late</b> again", status=CaseStatus.NEW),
            make_case(s, comment="No courier came", status=CaseStatus.ACKNOWLEDGED,
                      acknowledged_at=T0),
            make_case(s, comment="Late, sorted now", status=CaseStatus.RESOLVED,
                      acknowledged_at=T0, resolved_at=T0, root_cause="other",
                      resolution_note="done"),
        ]  # fmt: skip
        incident = Incident(
            group_key="k" * 64, route_path="route.routes[3]", receiver="delivery-team",
            labels={"group": [["touchpoint", "delivery"]]}, first_case_id=cases[0].id,
            first_seen_at=T0, last_seen_at=T0, count=3, wait_s=30, interval_s=300, repeat_s=14400,
            targets={"targets": [["email", "lead@example.com"]]}, private=False,
        )  # fmt: skip
        s.add(incident)
        s.flush()
        s.add_all(IncidentCase(incident_id=incident.id, case_id=c.id) for c in cases)
        return Seeded(incident.id, [c.id for c in cases])


def statuses(sessions: sessionmaker[Session], seeded: Seeded) -> tuple[list[str], str]:
    with sessions() as s:
        cases = s.scalars(select(Case.status).where(Case.id.in_(seeded.cases)).order_by(Case.id))
        return list(cases), s.get(Incident, seeded.incident_id).state  # type: ignore[union-attr]


def test_the_api_shows_an_incident_with_its_cases_and_the_queue_links_it(
    client: FlaskClient, world: World, seeded: Seeded
) -> None:
    shown = client.get(f"/v1/desk/incidents/{seeded.incident_id}", headers=auth(world, "owner"))
    assert shown.status_code == 200, shown.json
    body = shown.json
    assert (body["count"], body["state"], body["group"]) == (3, "open", {"touchpoint": "delivery"})
    assert [c["id"] for c in body["cases"]] == seeded.cases
    assert "carrier_delay" in body["root_causes"]
    queue = client.get("/v1/desk/queue?touchpoint=delivery", headers=auth(world, "owner")).json
    refs = {item["id"]: item["incident"] for item in queue["items"]}
    assert refs[seeded.cases[0]] == {"id": seeded.incident_id, "count": 3, "state": "open"}
    assert refs[world.delivery_case] is None
    hidden = client.get(
        f"/v1/desk/incidents/{seeded.incident_id}", headers=auth(world, "other_owner")
    )
    assert hidden.status_code == 404  # an owner of another team sees none of its cases
    assert client.get("/v1/desk/incidents/999", headers=auth(world, "owner")).status_code == 404


def test_resolving_an_incident_resolves_every_open_case_once(
    client: FlaskClient, world: World, seeded: Seeded, sessions: sessionmaker[Session]
) -> None:
    url = f"/v1/incidents/{seeded.incident_id}/resolve"
    done = client.post(url, json=RESOLVE, headers=auth(world, "owner"))
    assert done.status_code == 200, done.json
    assert done.json["state"] == "resolved" and done.json["resolved_by"] == "dora@example.com"
    assert statuses(sessions, seeded) == (["resolved"] * 3, "resolved")
    with sessions() as s:
        actions = s.scalars(
            select(CaseEvent.action).where(CaseEvent.case_id == seeded.cases[0])
        ).all()
        notes = s.scalars(select(Case.resolution_note).where(Case.id.in_(seeded.cases))).all()
    assert actions == ["acknowledge", "resolve"]  # the usual audit, case by case
    assert sorted(notes) == ["Courier depot back online"] * 2 + ["done"]
    again = client.post(url, json=RESOLVE, headers=auth(world, "owner"))
    assert again.status_code == 409 and "resolved already" in again.json["message"]


@pytest.mark.parametrize(
    ("role", "body", "status", "field"),
    [
        ("owner", RESOLVE | {"root_cause": "bug"}, 422, "root_cause"),
        ("owner", {"root_cause": "carrier_delay"}, 422, "resolution_note"),
        ("owner", RESOLVE | {"also": 1}, 422, "also"),
        ("owner", "not json", 422, None),
        ("viewer", RESOLVE, 403, None),
        ("other_owner", RESOLVE, 404, None),
    ],
)
def test_a_refused_resolve_names_the_problem_and_changes_nothing(
    client: FlaskClient, world: World, seeded: Seeded, sessions: sessionmaker[Session],
    role: str, body: object, status: int, field: str | None,
) -> None:  # fmt: skip
    before = statuses(sessions, seeded)
    url = f"/v1/incidents/{seeded.incident_id}/resolve"
    headers = auth(world, role)
    if isinstance(body, str):
        answer = client.post(url, data=body, headers=headers, content_type="application/json")
    else:
        answer = client.post(url, json=body, headers=headers)
    assert answer.status_code == status, answer.json
    assert answer.json["message"]
    if field is not None:
        assert field in answer.json["errors"], answer.json
    assert statuses(sessions, seeded) == before == (["new", "acknowledged", "resolved"], "open")


def test_the_page_escapes_comments_and_resolves_all_with_csrf(
    client: FlaskClient, world: World, seeded: Seeded, sessions: sessionmaker[Session]
) -> None:
    log_in(client, "dora@example.com")
    page = client.get(f"/incidents/{seeded.incident_id}")
    assert page.status_code == 200
    assert "Parcel &lt;b&gt;late&lt;/b&gt; again" in page.text and "<b>late</b>" not in page.text
    assert f"incident #{seeded.incident_id} (3)" in client.get("/queue").text
    url = f"/incidents/{seeded.incident_id}/resolve"
    assert client.post(url, data=RESOLVE).status_code == 400  # no CSRF token
    token = csrf(client, f"/incidents/{seeded.incident_id}")
    bad = client.post(url, data={"csrf_token": token, "root_cause": "carrier_delay"})
    assert bad.status_code == 422 and statuses(sessions, seeded)[1] == "open"
    done = client.post(url, data=RESOLVE | {"csrf_token": token})
    assert done.status_code == 303
    assert statuses(sessions, seeded) == (["resolved"] * 3, "resolved")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt: chromium)")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_owner_resolves_an_incident_in_the_browser(
    app: Flask, base_url: str, seeded: Seeded, sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        browser_log_in(
            page, "dora@example.com", PASSWORD, at=f"{base_url}/queue?touchpoint=delivery"
        )
        page.get_by_role("link", name=f"incident #{seeded.incident_id} (3)").first.click()
        sync_api.expect(page.locator("h1")).to_contain_text(f"Incident #{seeded.incident_id}")
        sync_api.expect(page.locator("table.queue tbody tr")).to_have_count(3)
        page.get_by_label("Root cause").select_option("carrier_delay")
        page.get_by_label("Resolution note").fill("Courier depot back online")
        page.get_by_role("button", name="Resolve all").click()
        sync_api.expect(page.locator(".flash")).to_contain_text("resolved with its 2 open case")
        sync_api.expect(page.locator("h1 .status")).to_have_text("resolved")
        sync_api.expect(page.locator("td.case-status")).to_have_text(["resolved"] * 3)
        browser.close()
    assert statuses(sessions, seeded) == (["resolved"] * 3, "resolved")


def test_the_timeline_says_a_case_was_grouped() -> None:
    entry = timeline_entry(
        "routed", "router", {"receivers": ["web-team"], "incidents": [7]}, lambda who: who
    )
    assert entry["text"] == (
        "The case was routed to web-team; grouped into incident #7, alerted once for the group"
    )
