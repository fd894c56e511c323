"""Silences on the desk: the API (roles, errors in the usual shape) and the page (escaped, CSRF)."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from shared import silences
from tests.desk.conftest import NOW, World, auth
from tests.desk.test_pages import csrf, log_in

UNTIL = (NOW + timedelta(hours=2)).isoformat()
BODY = {"matchers": ['touchpoint = "checkout"'], "ends_at": UNTIL, "comment": "INC-42 outage"}


def stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return len(silences.listed(s, now=NOW, include_expired=True))


def test_champions_create_list_and_expire_silences_through_the_api(
    client: FlaskClient, world: World
) -> None:
    champion = auth(world, "champion")
    created = client.post("/v1/silences", json=BODY, headers=champion)
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["state"], body["created_by"], body["matchers"]) == (
        "active", "champ@example.com", ['touchpoint="checkout"'],
    )  # fmt: skip
    assert [s["id"] for s in client.get("/v1/silences", headers=champion).json["items"]] == [
        body["id"]
    ]
    expired = client.delete(f"/v1/silences/{body['id']}", headers=champion)
    assert (expired.status_code, expired.json["state"]) == (200, "expired")
    assert expired.json["expired_by"] == "champ@example.com"
    assert client.get("/v1/silences", headers=champion).json["items"] == []
    everything = client.get("/v1/silences?expired=true", headers=champion).json["items"]
    assert [s["state"] for s in everything] == ["expired"]


def test_bad_silences_get_the_usual_error_shape_and_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    champion = auth(world, "champion")
    for body, field in [
        (BODY | {"matchers": ['touchpoint = ""']}, "matchers"),
        (BODY | {"matchers": ["nonsense"]}, "matchers"),
        (BODY | {"matchers": []}, "matchers"),
        (BODY | {"ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        (BODY | {"ends_at": "tomorrow"}, "ends_at"),
        ({k: v for k, v in BODY.items() if k != "comment"}, "comment"),
    ]:
        response = client.post("/v1/silences", json=body, headers=champion)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"], response.json
    for role in ("owner", "viewer"):
        refused = client.post("/v1/silences", json=BODY, headers=auth(world, role))
        assert refused.status_code == 403 and "champions and admins" in refused.json["message"]
        assert client.get("/v1/silences", headers=auth(world, role)).status_code == 200
    assert client.post("/v1/silences", json=BODY).status_code == 401
    assert client.delete("/v1/silences/999", headers=champion).status_code == 404
    assert stored(sessions) == 0


def test_the_page_creates_shows_escaped_and_expires(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    log_in(client, "champ@example.com")
    token = csrf(client, "/silences")
    bad = client.post("/silences", data={"csrf_token": token, "matchers": 'x = ""',
                                         "hours": "4", "comment": "why"})  # fmt: skip
    assert bad.status_code == 422 and "match every case" in bad.get_data(as_text=True)
    made = client.post(
        "/silences",
        data={"csrf_token": token, "matchers": 'touchpoint = "checkout"\n\npriority =~ "p2|p3"',
              "hours": "4", "comment": "<script>alert(1)</script> INC-9"},
        follow_redirects=True,
    )  # fmt: skip
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "nobody is paged for matching cases" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "priority=~&#34;p2|p3&#34;" in page or "priority=~&quot;p2|p3&quot;" in page
    number = re.search(r"Silence #(\d+) created", page).group(1)  # type: ignore[union-attr]
    assert client.post(f"/silences/{number}/expire").status_code == 400  # no CSRF token
    done = client.post(f"/silences/{number}/expire", data={"csrf_token": token},
                       follow_redirects=True)  # fmt: skip
    assert "expired: matching cases page their owners again" in done.get_data(as_text=True)
    with sessions() as s:
        assert silences.listed(s, now=NOW) == []


def test_owners_see_silences_but_get_no_form_and_403_on_writes(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "dora@example.com")
    page = client.get("/silences").get_data(as_text=True)
    assert "No silences." in page and "New silence" not in page
    token = csrf(client, "/silences")
    refused = client.post("/silences", data={"csrf_token": token, "matchers": "a=b",
                                             "hours": "1", "comment": "x"})  # fmt: skip
    assert refused.status_code == 403
