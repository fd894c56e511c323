"""POST /v1/responses and :batch: every bad-input class answers in the one error shape."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Response
from shared.settings import Settings
from tests.ingest.payloads import auth, generic

ERROR_KEYS = {"code", "status", "message", "errors"}


def post(client: FlaskClient, body: Any, path: str = "/v1/responses", **kw: Any) -> Any:
    return client.post(path, json=body, headers=auth(), **kw)


def assert_error(resp: Any, code: int) -> dict[str, Any]:
    body = resp.get_json()
    assert resp.status_code == code, body
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    return body


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Response)) or 0


def test_a_valid_response_is_stored_and_answered_202(client, sessions):
    resp = post(client, generic())
    assert resp.status_code == 202
    body = resp.get_json()
    assert body == {"id": body["id"], "status": "accepted", "duplicate": False}
    with sessions() as session:
        row = session.get_one(Response, body["id"])
    assert (row.source, row.external_id, row.nps, row.respondent_email) == (
        "web",
        "r-1",
        2,
        "ann@example.com",
    )
    assert row.attributes == {"region": "north"}
    assert row.raw == generic()
    assert row.submitted_at.isoformat() == "2025-03-01T10:00:00+00:00"


def test_a_repeat_returns_the_same_id_and_stores_nothing(client, sessions):
    first = post(client, generic()).get_json()
    again = post(client, generic(comment="edited by the vendor's retry")).get_json()
    assert again == {"id": first["id"], "status": "accepted", "duplicate": True}
    assert count(sessions) == 1
    other_source = post(client, generic(source="typeform")).get_json()
    assert other_source["id"] != first["id"] and not other_source["duplicate"]


def test_malformed_json_is_400_with_the_parsers_reason(client):
    resp = client.post(
        "/v1/responses", data='{"source": ', content_type="application/json", headers=auth()
    )
    body = assert_error(resp, 400)
    assert body["message"].startswith("malformed JSON: Expecting value")


def test_json_nested_too_deep_is_400_not_a_crash(client):
    resp = client.post(
        "/v1/responses", data="[" * 100_000, content_type="application/json", headers=auth()
    )
    assert_error(resp, 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_declared_json_is_415(client, content_type):
    resp = client.post(
        "/v1/responses", data=json.dumps(generic()), content_type=content_type, headers=auth()
    )
    body = assert_error(resp, 415)
    assert "application/json" in body["message"]


def test_a_body_over_the_configured_limit_is_413_naming_the_limit(make_app, settings, sessions):
    client = make_app(settings.with_(max_content_length=2048)).test_client()
    resp = post(client, generic(comment="x" * 4096))
    body = assert_error(resp, 413)
    assert "2048 bytes" in body["message"]
    assert count(sessions) == 0


FIELD_ERRORS = [
    ("missing source", generic(source=None), "source"),
    ("nps above 10", generic(scores={"nps": 11}), "scores.nps"),
    ("csat below 1", generic(scores={"csat": 0}), "scores.csat"),
    ("ces above 7", generic(scores={"ces": 8}), "scores.ces"),
    ("nps as text", generic(scores={"nps": "9"}), "scores.nps"),
    ("datetime without zone", generic(submitted_at="2025-03-01T10:00:00"), "submitted_at"),
    ("unknown field", generic(channel="web"), "channel"),
    ("unknown score", generic(scores={"nps": 3, "csi": 2}), "scores.csi"),
    ("bad email", generic(respondent={"email": "not-an-email"}), "respondent.email"),
    ("no score and empty comment", generic(scores={}, comment="  "), "_schema"),
    ("NUL in comment", generic(comment="bad\x00byte"), "comment"),
    ("overlong email", generic(respondent={"email": "a" * 60 + "@" + "b" * 300 + ".com"}),
     "respondent.email"),
    ("date out of range in UTC", generic(submitted_at="0001-01-01T00:00:00+05:00"),
     "submitted_at"),
    ("not an object", ["a", "list"], "_schema"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"), [c[1:] for c in FIELD_ERRORS], ids=[c[0] for c in FIELD_ERRORS]
)
def test_invalid_fields_are_422_naming_the_field(client, sessions, body, field):  # fmt: skip
    errors = assert_error(post(client, body), 422)["errors"]
    assert list(errors) == [field]
    assert all(isinstance(m, str) and m for m in errors[field])
    assert count(sessions) == 0


def test_a_lone_surrogate_is_422_not_a_database_error(client, sessions):
    raw = json.dumps(generic(comment="PLACEHOLDER")).replace("PLACEHOLDER", "\\ud800")
    resp = client.post("/v1/responses", data=raw, content_type="application/json", headers=auth())
    assert assert_error(resp, 422)["errors"].keys() == {"comment"}


def test_a_batch_is_stored_with_per_item_results(client, sessions):
    items = [generic(response_id=f"r-{i}") for i in range(3)] + [generic(response_id="r-0")]
    resp = post(client, {"responses": items}, "/v1/responses:batch")
    assert resp.status_code == 202
    body = resp.get_json()
    ids = [item["id"] for item in body["items"]]
    assert [item["index"] for item in body["items"]] == [0, 1, 2, 3]
    assert ids[3] == ids[0] and len(set(ids)) == 3
    assert [item["duplicate"] for item in body["items"]] == [False, False, False, True]
    assert (body["accepted"], body["duplicates"]) == (3, 1)
    assert count(sessions) == 3


def test_a_batch_with_a_bad_item_stores_nothing_and_names_item_and_field(client, sessions):
    items = [generic(response_id="ok"), generic(response_id="bad", scores={"ces": 8}), "x"]
    errors = assert_error(post(client, {"responses": items}, "/v1/responses:batch"), 422)["errors"]
    assert set(errors) == {"responses.1.scores.ces", "responses.2._schema"}
    assert count(sessions) == 0


def test_a_batch_over_the_maximum_is_422(make_app, settings, sessions):
    client = make_app(settings.with_(max_batch=2)).test_client()
    items = [generic(response_id=f"r-{i}") for i in range(3)]
    errors = assert_error(post(client, {"responses": items}, "/v1/responses:batch"), 422)["errors"]
    assert errors == {"responses": ["give between 1 and 2 responses"]}
    assert assert_error(post(client, {"responses": []}, "/v1/responses:batch"), 422)
    assert assert_error(post(client, {"items": items}, "/v1/responses:batch"), 422)["errors"] == {
        "responses": ["Missing data for required field."],
        "items": ["Unknown field."],
    }
    assert count(sessions) == 0


def test_an_accepted_response_is_enqueued_for_routing_by_name(client, app: Flask, sessions):
    response_id = post(client, generic()).get_json()["id"]
    queued = redis.Redis.from_url(app.extensions["cxloop"].settings.redis_url).lrange(
        "router", 0, -1
    )
    assert len(queued) == 1
    message = json.loads(queued[0])
    assert message["headers"]["task"] == "router.process_response"
    assert message["headers"]["argsrepr"] == f"[{response_id}]"
    with sessions() as session:
        assert session.get_one(Response, response_id).enqueued_at is not None


def test_with_the_broker_down_the_response_is_stored_and_answered_quickly(
    make_app, settings: Settings, sessions
):
    client = make_app(settings.with_(redis_url="redis://127.0.0.1:1/0")).test_client()
    started = time.monotonic()
    resp = post(client, generic())
    elapsed = time.monotonic() - started
    assert resp.status_code == 202, resp.get_json()
    assert elapsed < 5
    with sessions() as session:
        row = session.get_one(Response, resp.get_json()["id"])
    assert row.enqueued_at is None and row.routed_at is None


def test_a_duplicate_of_a_never_enqueued_response_is_sent_again(
    make_app, settings: Settings, redis_url, sessions
):
    down = make_app(settings.with_(redis_url="redis://127.0.0.1:1/0")).test_client()
    response_id = post(down, generic()).get_json()["id"]
    up = make_app(settings.with_(redis_url=redis_url)).test_client()
    assert post(up, generic()).get_json() == {
        "id": response_id,
        "status": "accepted",
        "duplicate": True,
    }
    assert redis.Redis.from_url(redis_url).llen("router") == 1
    assert post(up, generic()).status_code == 202
    assert redis.Redis.from_url(redis_url).llen("router") == 1


def test_concurrent_repeats_store_one_row_and_all_get_its_id(app: Flask, sessions):
    def send(_: int) -> dict[str, Any]:
        return post(app.test_client(), generic()).get_json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(16)))
    assert len({a["id"] for a in answers}) == 1
    assert sum(not a["duplicate"] for a in answers) == 1
    assert count(sessions) == 1
