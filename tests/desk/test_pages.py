"""The web pages: log-in, roles, CSRF on every write, escaping of customer and staff text."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.desk.forms import ACTION_FORMS
from shared.db import transaction
from tests.desk.conftest import World
from tests.desk.factories import PASSWORD, make_case

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def log_in(client: FlaskClient, email: str) -> None:
    token = csrf(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


def test_pages_need_a_login_and_a_wrong_password_is_refused(
    client: FlaskClient, world: World
) -> None:
    response = client.get("/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf(client, "/login")
    wrong = client.post("/login", data={"email": "champ@example.com", "password": "nope-nope-nope",
                                        "csrf_token": token})  # fmt: skip
    assert wrong.status_code == 401
    log_in(client, "champ@example.com")
    assert client.get("/queue").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/queue")})
    assert client.get("/queue").status_code == 302


def test_the_session_cookie_is_http_only_and_lax(client: FlaskClient, world: World) -> None:
    token = csrf(client, "/login")
    response = client.post("/login", data={"email": "champ@example.com", "password": PASSWORD,
                                           "csrf_token": token})  # fmt: skip
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_owner_cannot_open_or_change_another_teams_case_page(
    client: FlaskClient, world: World
) -> None:
    log_in(client, "dora@example.com")
    queue = client.get("/queue").text
    assert f"/cases/{world.delivery_case}" in queue
    assert f"/cases/{world.store_case}" not in queue
    assert client.get(f"/cases/{world.store_case}").status_code == 404
    token = csrf(client, f"/cases/{world.delivery_case}")
    denied = client.post(f"/cases/{world.store_case}/acknowledge", data={"csrf_token": token})
    assert denied.status_code == 404


def test_a_viewer_gets_no_forms_and_403_on_writes(client: FlaskClient, world: World) -> None:
    log_in(client, "vic@example.com")
    page = client.get(f"/cases/{world.delivery_case}").text
    assert "/acknowledge" not in page and '<form method="post" action="/cases' not in page
    token = csrf(client, "/queue")
    response = client.post(f"/cases/{world.delivery_case}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 403


@pytest.mark.parametrize("action", sorted(ACTION_FORMS))
def test_every_write_without_a_csrf_token_fails(
    client: FlaskClient, world: World, action: str
) -> None:
    log_in(client, "champ@example.com")
    data = {"body": "x", "reason": "x", "root_cause": "other", "resolution_note": "x",
            "channel": "phone", "outcome": "reached", "team": "delivery"}  # fmt: skip
    for token in (None, "forged"):
        sent = dict(data, csrf_token=token) if token else data
        response = client.post(f"/cases/{world.delivery_case}/{action}", data=sent)
        assert response.status_code == 400, (action, token)
        assert "CSRF" in response.text
    case = client.get(f"/cases/{world.delivery_case}").text
    assert "<strong>" + action not in case


def test_logout_and_login_without_csrf_fail(client: FlaskClient, world: World) -> None:
    assert (
        client.post("/login", data={"email": "champ@example.com", "password": PASSWORD}).status_code
        == 400
    )
    log_in(client, "champ@example.com")
    assert client.post("/logout").status_code == 400
    assert client.get("/queue").status_code == 200


def test_stored_xss_in_a_comment_and_a_note_is_rendered_escaped(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        case_id = make_case(session, comment=XSS, attributes={"region": XSS}).id
    log_in(client, "champ@example.com")
    token = csrf(client, f"/cases/{case_id}")
    added = client.post(f"/cases/{case_id}/notes", data={"body": XSS, "csrf_token": token})
    assert added.status_code == 303
    for page in (client.get(f"/cases/{case_id}").text, client.get("/queue").text):
        assert "<script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_the_case_page_lifecycle_and_a_409(client: FlaskClient, world: World) -> None:
    log_in(client, "champ@example.com")
    url = f"/cases/{world.delivery_case}"
    token = csrf(client, url)
    assert client.post(f"{url}/acknowledge", data={"csrf_token": token}).status_code == 303
    again = client.post(f"{url}/acknowledge", data={"csrf_token": token})
    assert again.status_code == 409
    assert "cannot acknowledge a case that is acknowledged" in again.text
    bad = client.post(f"{url}/resolve", data={"csrf_token": token, "root_cause": "bug",
                                              "resolution_note": "x"})  # fmt: skip
    assert bad.status_code == 422
    done = client.post(f"{url}/resolve", data={"csrf_token": token, "root_cause": "lost_parcel",
                                               "resolution_note": "Sent a new one"})  # fmt: skip
    assert done.status_code == 303
    page = client.get(url).text
    assert "lost parcel" in page and "Sent a new one" in page


def test_dashboard_and_csv_links(client: FlaskClient, world: World) -> None:
    log_in(client, "champ@example.com")
    page = client.get("/dashboard?start=2026-03-01&end=2026-03-07&by=touchpoint")
    assert page.status_code == 200
    assert page.text.count("<svg") == 18  # nine charts, each at laptop and phone width
    assert "/exports/kpis/response_times.csv" in page.text
    assert client.get("/exports/cases.csv").mimetype == "text/csv"
    assert client.get("/dashboard?start=2026-03-07&end=2026-03-01").status_code == 422


INLINE = re.compile(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:|<iframe|<object", re.I)


def test_every_desk_page_forbids_framing_and_its_policy_fits_the_pages(
    client: FlaskClient, world: World
) -> None:
    anonymous = [client.get("/queue"), client.get("/login"), client.get("/desk-static/desk.css")]
    log_in(client, "champ@example.com")
    pages = [
        client.get("/queue"),
        client.get(f"/cases/{world.delivery_case}"),
        client.get("/dashboard"),
        client.get("/cases/999999"),  # an error page
        client.get("/v1/desk/queue"),  # the API's 401, in JSON
    ]
    for response in anonymous + pages:
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, response.request.path
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        response.close()
    for response in pages[:3]:
        assert response.status_code == 200
        # The policy allows no script and only same-origin stylesheets: the pages need no more.
        assert INLINE.findall(response.text) == [], response.request.path
        for sheet in re.findall(r'<link rel="stylesheet" href="([^"]+)"', response.text):
            assert sheet.startswith("/desk-static/")
