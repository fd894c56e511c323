"""Every vendor's documented payload, signed as the vendor signs it, becomes a stored response."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.models import Response
from tests.sources import vendors
from tests.sources.vendors import signed

EXPECTED: dict[str, dict[str, Any]] = {
    "typeform": {
        "external_id": "a3a12ec67a1365927098a606107fac15",
        "nps": 3,
        "comment": "The courier left my parcel in the rain.",
        "touchpoint": "delivery",
        "respondent_id": "C-1001",
        "respondent_email": "laura@example.com",
        "attributes": {"region": "emea"},
    },
    "delighted": {
        "external_id": "5435",
        "nps": 2,
        "touchpoint": "delivery",
        "respondent_id": "C-42",
        "respondent_email": "charlie_gravis@example.com",
        "respondent_name": "Charlie Gravis",
        "attributes": {"plan": "pro"},
    },
    "tally": {
        "external_id": "2wgx4n",
        "csat": 1,
        "touchpoint": "checkout",
        "comment": "Checkout kept failing on my card.",
        "respondent_id": "C-77",
    },
    "formbricks": {
        "external_id": "responseId",
        "nps": 2,
        "touchpoint": "app",
        "comment": "The app crashes every time I open my basket.",
    },
    "google-forms": {
        "external_id": "2_ABaOnuc",
        "nps": 2,
        "touchpoint": "store",
        "comment": "Nobody at the store could help me.",
        "respondent_email": "sam@example.com",
    },
    "standard": {"external_id": "g-1", "nps": 1, "touchpoint": "billing"},
    "generic": {"external_id": "g-1", "nps": 1, "touchpoint": "billing"},
}


def post(client: FlaskClient, source: str, request: vendors.Request, path_suffix: str = "") -> Any:
    return client.post(
        f"/v1/webhooks/{source}{path_suffix}", data=request.body, headers=request.headers
    )


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_documented_payload_is_stored_as_a_generic_response(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    reply = post(client, source, signed(source, vendors.example(source)))
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["status"] == "accepted"
    (row,) = rows()
    assert row.source == source
    for column, value in EXPECTED[source].items():
        assert getattr(row, column) == value, column
    assert row.raw["payload"] == vendors.example(source)
    assert row.enqueued_at is not None  # sent for routing after the commit


@pytest.mark.parametrize("source", ["surveymonkey", "qualtrics"])
def test_thin_event_is_stored_as_a_placeholder_awaiting_its_fetch(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    reply = post(client, source, signed(source, vendors.example(source)))
    assert reply.status_code == 200, reply.get_json()
    (row,) = rows()
    assert row.external_id in ("5007154402", "R_suq806jn8LGzhx7")
    assert row.fetch_due_at is not None and row.fetch_attempts == 0
    assert row.routing_error is None
    assert row.routed_at is not None  # so the routing sweep leaves the empty placeholder alone
    assert set(row.raw["ref"]) == {"survey_id", "response_id"}


def test_a_second_delivery_of_the_same_event_stores_nothing_new(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    request = signed("typeform", vendors.typeform_payload())
    first, again = post(client, "typeform", request), post(client, "typeform", request)
    assert first.get_json()["responses"][0]["outcome"] == "created"
    assert again.status_code == 200
    assert again.get_json()["responses"][0]["outcome"] == "duplicate"
    assert len(rows()) == 1


def test_an_update_event_updates_the_same_response(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    created = vendors.delighted_payload(score=2)
    updated = vendors.delighted_payload(
        event_type="survey_response.updated",
        score=2,
        comment="Two weeks late.",
        updated_at=1732187444,
    )
    post(client, "delighted", signed("delighted", created))
    reply = post(client, "delighted", signed("delighted", updated))
    assert reply.get_json()["responses"][0]["outcome"] == "updated"
    (row,) = rows()
    assert row.comment == "Two weeks late."
    assert row.routed_at is None  # no case yet: the new content is routed afresh


def test_an_older_event_arriving_late_does_not_overwrite_a_newer_one(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    newer = vendors.delighted_payload(
        event_type="survey_response.updated", comment="Two weeks late.", updated_at=1732187444
    )
    older = vendors.delighted_payload(score=2)
    post(client, "delighted", signed("delighted", newer))
    reply = post(client, "delighted", signed("delighted", older))
    assert reply.get_json()["responses"][0]["outcome"] == "stale"
    assert rows()[0].comment == "Two weeks late."


@pytest.mark.parametrize(
    ("source", "payload"),
    [
        ("typeform", {"event_id": "x", "event_type": "form_updated"}),
        (
            "delighted",
            {
                "event_type": "unsubscribe.created",
                "event_id": "u1",
                "event_data": {"person": {"email": "a@example.com"}},
            },
        ),
        ("tally", {"eventId": "e", "eventType": "FORM_UPDATED", "data": {}}),
        ("formbricks", {"event": "testEndpoint", "data": {}}),
        ("surveymonkey", vendors.surveymonkey_event(event_type="collector_created")),
    ],
)
def test_a_non_response_event_is_acknowledged_and_not_stored(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str, payload: Any
) -> None:
    reply = post(client, source, signed(source, payload))
    assert reply.status_code == 200
    assert reply.get_json()["status"] == "ignored"
    assert rows() == []


def test_qualtrics_other_topic_is_acknowledged(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    body = vendors.qualtrics_body(
        {"SurveyID": "SV_1"},
        vendors.SECRETS["qualtrics"],
        topic="brand.controlpanel.createdDistribution",
    )
    reply = client.post(
        "/v1/webhooks/qualtrics", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert reply.status_code == 200
    assert reply.get_json()["status"] == "ignored"
    assert rows() == []


def test_a_partial_response_without_score_or_comment_is_acknowledged(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    payload = vendors.formbricks_payload(event="responseCreated", nps=None)
    payload[0]["data"]["data"] = {"q1": "clicked"}
    reply = post(client, "formbricks", signed("formbricks", payload))
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ignored", "reason": "no score or comment yet"}
    assert rows() == []


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("typeform", b"{not json"),
        ("tally", b"[1, 2]"),
        ("delighted", b'{"event_type": 3}'),
        ("formbricks", b'{"event": "responseFinished", "data": {"id": 5}}'),
    ],
)
def test_a_signed_but_malformed_body_is_a_400(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str, body: bytes
) -> None:
    headers = {
        "typeform": vendors.typeform,
        "tally": vendors.tally,
        "delighted": vendors.delighted,
        "formbricks": vendors.standard,
    }[source](body, vendors.SECRETS[source])
    reply = client.post(f"/v1/webhooks/{source}", data=body, headers=headers)
    assert reply.status_code == 400
    assert set(reply.get_json()) == {"code", "status", "message", "errors"}
    assert rows() == []


def test_a_score_out_of_range_is_a_422_naming_the_field(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    reply = post(client, "typeform", signed("typeform", vendors.typeform_payload(nps=11)))
    assert reply.status_code == 422
    assert "scores.nps" in reply.get_json()["errors"]
    assert rows() == []


def test_an_unknown_source_is_a_404_in_the_common_shape(client: FlaskClient) -> None:
    reply = client.post("/v1/webhooks/nope", data=b"{}", content_type="application/json")
    assert reply.status_code == 404
    assert reply.get_json()["message"] == "no webhook source named 'nope' is configured"


@pytest.mark.parametrize("method", ["HEAD", "GET"])
@pytest.mark.parametrize("path", ["/v1/webhooks/surveymonkey", "/v1/webhooks/surveymonkey/"])
def test_url_checks_answer_200_without_redirecting(
    client: FlaskClient, method: str, path: str
) -> None:
    reply = client.open(path, method=method)
    assert reply.status_code == 200
    if method == "GET":
        assert reply.get_json()["status"] == "ready"


def test_a_trailing_slash_post_is_accepted_without_a_redirect(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    reply = post(client, "tally", signed("tally", vendors.tally_payload()), path_suffix="/")
    assert reply.status_code == 200
    assert len(rows()) == 1


def test_webhooks_need_no_api_key_but_the_generic_api_still_does(client: FlaskClient) -> None:
    assert client.post("/v1/responses", json={}).status_code == 401
    reply = post(client, "tally", signed("tally", vendors.tally_payload()))
    assert reply.status_code == 200
    assert json.loads(reply.data)["status"] == "accepted"
