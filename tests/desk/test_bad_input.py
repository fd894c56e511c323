"""Inputs that once reached the last-resort 500: each is now a 4xx, in the one error shape, and
changes nothing. Found by schemathesis and by hand (issue 14)."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.models import Contact, Note
from shared.models import Case, CaseEvent
from tests.desk.conftest import World, auth
from tests.desk.factories import PASSWORD
from tests.desk.test_pages import csrf, log_in

ERROR_KEYS = {"code", "status", "message", "errors"}
HUGE_IDS = [2**31, 2**63 - 1, 2**63, 2**64, 10**30]


def snapshot(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Everything a desk write could change."""
    with sessions() as s:
        cases = s.execute(
            select(Case.id, Case.status, Case.assignee_id, Case.team, Case.updated_at).order_by(
                Case.id
            )
        ).all()
        counts = [s.scalar(select(func.count()).select_from(m)) for m in (Note, Contact, CaseEvent)]
    return tuple(map(tuple, cases)), tuple(counts)


def assert_error_shape(response: Any, *codes: int) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code in codes, (response.status_code, text[:300])
    body = response.get_json()
    assert body is not None and set(body) == ERROR_KEYS and body["code"] == response.status_code


def cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def raw_json(client: FlaskClient, path: str, text: str, headers: dict[str, str]) -> Any:
    return client.post(path, data=text, headers={**headers, "Content-Type": "application/json"})


def test_case_ids_beyond_the_id_column_are_404(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    before = snapshot(sessions)
    headers = auth(world, "champion")
    for case_id in HUGE_IDS:
        assert_error_shape(client.get(f"/v1/desk/cases/{case_id}", headers=headers), 404)
        for action, body in [("acknowledge", None), ("notes", {"body": "hello"})]:
            posted = client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=headers)
            assert_error_shape(posted, 404)
    log_in(client, "champ@example.com")
    token = csrf(client, "/queue")
    for case_id in HUGE_IDS:
        assert client.get(f"/cases/{case_id}").status_code == 404
        posted = client.post(f"/cases/{case_id}/acknowledge", data={"csrf_token": token})
        assert posted.status_code == 404
    assert snapshot(sessions) == before


NESTED = "[" * 100_000 + "]" * 100_000
BAD_BODIES = [
    ("notes", NESTED),
    ("notes", '{"body": ' + "[" * 900 + "]" * 900 + "}"),
    ("notes", '{"body": "\\ud800"}'),
    ("notes", '{"body": "before\\u0000after"}'),
    ("contacts", '{"channel": "phone", "outcome": "reached", "note": "\\udfff"}'),
    ("assign", '{"team": "\\ud83d"}'),
    ("reopen", '{"reason": "\\ud800", "to": "acknowledged"}'),
    ("resolve", '{"root_cause": "carrier_delay", "resolution_note": "\\u0000"}'),
    ("acknowledge", NESTED),
    ("notes", '{"body": "x", "body": "\\ud800"}'),
]


def test_unstorable_or_too_deep_json_bodies_are_422(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    headers = auth(world, "champion")
    client.post(f"/v1/cases/{world.delivery_case}/start", headers=headers)
    before = snapshot(sessions)
    for action, text in BAD_BODIES:
        response = raw_json(client, f"/v1/cases/{world.delivery_case}/{action}", text, headers)
        assert_error_shape(response, 422)
    assert snapshot(sessions) == before


def test_unstorable_text_in_page_forms_is_422(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    log_in(client, "champ@example.com")
    url = f"/cases/{world.delivery_case}"
    token = csrf(client, url)
    before = snapshot(sessions)
    forms = [
        ("notes", {"body": "a\x00b"}),
        ("contacts", {"channel": "phone", "outcome": "reached", "note": "\x00"}),
    ]
    for action, data in forms:
        response = client.post(f"{url}/{action}", data={**data, "csrf_token": token})
        assert response.status_code == 422, action
    assert snapshot(sessions) == before


BAD_CURSORS = [
    ("newest", cursor(["2026-03-01T00:00:00+00:00", "seven"])),
    ("newest", cursor(["2026-03-01T00:00:00+00:00", 2**70])),
    ("newest", cursor(["2026-03-01T00:00:00+00:00", 2**40])),
    ("newest", cursor(["2026-03-01T00:00:00+00:00", 1.5])),
    ("newest", cursor(["2026-03-01T00:00:00+00:00", True])),
    ("newest", cursor(["2026-03-01T00:00:00+00:00", None])),
    ("newest", cursor(["2026-03-01T00:00:00", 3])),
    ("newest", cursor(["0001-01-01T00:00:00+05:00", 3])),
    ("newest", cursor([{"a": 1}, 3])),
    ("newest", cursor({"created_at": 1})),
    ("newest", cursor([[], []])),
    ("newest", "%%%"),
    ("newest", "A" * 499),
    ("priority", cursor([5, "2026-03-01T00:00:00+00:00", 3])),
    ("priority", cursor(["p" * 5000, "2026-03-01T00:00:00+00:00", 3])),
    ("due", cursor([17, 3])),
    ("due", cursor(["2026-03-01T00:00:00+00:00", "3"])),
]


def test_cursors_of_the_wrong_type_or_size_are_422(client: FlaskClient, world: World) -> None:
    for sort, value in BAD_CURSORS:
        query = {"sort": sort, "cursor": value}
        listed = client.get("/v1/desk/queue", query_string=query, headers=auth(world, "champion"))
        assert_error_shape(listed, 422)
    log_in(client, "champ@example.com")
    for sort, value in BAD_CURSORS:
        assert client.get("/queue", query_string={"sort": sort, "cursor": value}).status_code == 422


BAD_DATES = [
    ("/v1/desk/queue", {"created_to": "9999-12-31"}),
    ("/v1/desk/queue", {"created_from": "0001-01-01", "created_to": "0001-01-05"}),
    ("/v1/desk/queue", {"created_from": "9999-12-31"}),
    ("/v1/desk/kpis", {"end": "0001-01-05"}),
    ("/v1/desk/kpis", {"start": "0001-01-01", "end": "0001-01-05"}),
    ("/v1/desk/kpis", {"end": "9999-12-31"}),
    ("/v1/desk/kpis", {"start": "9999-12-01", "end": "9999-12-31"}),
    ("/v1/desk/exports/kpis/score_trends.csv", {"end": "0001-01-05"}),
    ("/v1/desk/exports/cases.csv", {"created_to": "9999-12-31"}),
]


def test_dates_at_the_ends_of_the_calendar_are_422(client: FlaskClient, world: World) -> None:
    for path, query in BAD_DATES:
        answered = client.get(path, query_string=query, headers=auth(world, "champion"))
        assert_error_shape(answered, 422)
    log_in(client, "champ@example.com")
    for path, query in BAD_DATES:
        page = "/queue" if "queue" in path or "cases.csv" in path else "/dashboard"
        assert client.get(page, query_string=query).status_code == 422, (page, query)
        if "exports" in path:  # the pages' own download links
            assert client.get(path.removeprefix("/v1/desk"), query_string=query).status_code == 422


NUL_FILTERS = ["q", "touchpoint", "owner", "team", "assignee"]


def test_queue_filters_with_nul_are_422(client: FlaskClient, world: World) -> None:
    # PostgreSQL refuses NUL in a query parameter: this was a 500 there (schemathesis, issue 14).
    for name in NUL_FILTERS:
        answered = client.get("/v1/desk/queue", query_string={name: "a\x00b"},
                              headers=auth(world, "champion"))  # fmt: skip
        assert_error_shape(answered, 422)
        assert [e.split(".")[0] for e in answered.get_json()["errors"]] == [name]
    log_in(client, "champ@example.com")
    for name in NUL_FILTERS:
        page = client.get("/queue", query_string={name: "a\x00b"})
        assert page.status_code == 422 and "was ignored" in page.text


NEXT_TARGETS = ["/queue\r\nSet-Cookie: evil=1", "/queue\nX: y", "/\\evil.example", "/queue\x00",
                "//evil", "/queue\x7f"]  # fmt: skip


def test_a_login_next_with_control_characters_or_a_host_goes_to_the_queue(
    app: Flask, world: World
) -> None:
    for target in [*NEXT_TARGETS, "/dashboard?by=owner"]:
        client = app.test_client()
        token = csrf(client, "/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"email": "champ@example.com", "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, target
        expected = target if target.startswith("/dashboard") else "/queue"
        assert response.headers["Location"] == expected
        assert "evil" not in response.headers.get("Set-Cookie", "")


texts = st.text(max_size=20) | st.sampled_from(["\ud800", "a\x00b", "\udfff", "carrier_delay"])
json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cursor_value=json_values,
    sort=st.sampled_from(["newest", "oldest", "priority", "due"]),
    action=st.sampled_from(["notes", "contacts", "assign", "reopen", "resolve"]),
    body=json_values
    | st.fixed_dictionaries(
        {},
        optional={k: texts for k in ("body", "team", "reason", "note", "root_cause", "channel")},
    ),
)
def test_no_cursor_or_action_body_causes_a_500(
    client: FlaskClient, world: World, cursor_value: Any, sort: str, action: str, body: Any
) -> None:
    headers = auth(world, "champion")
    listed = client.get(
        "/v1/desk/queue",
        query_string={"sort": sort, "cursor": cursor(cursor_value)},
        headers=headers,
    )
    assert listed.status_code in (200, 422), listed.get_data(as_text=True)[:300]
    posted = client.post(
        f"/v1/cases/{world.delivery_case}/{action}",
        data=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )
    if posted.status_code != 200:  # a note or an assignment may be accepted
        assert_error_shape(posted, 409, 422)
