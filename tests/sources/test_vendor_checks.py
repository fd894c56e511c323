"""Findings of an independent vendor check: ids that reach vendor URLs, Qualtrics' topic,
scales judged by their range, SurveyMonkey star ratings, and Formbricks' endpoint test."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from services.ingest.sources.config import SourceConfig
from services.ingest.sources.mapping import to_generic
from services.ingest.sources.surveymonkey import _questions, _submission
from services.ingest.sources.typeform import Typeform
from shared.models import Response
from tests.sources import vendors
from tests.sources.standin import SM_DETAILS, SM_SURVEY
from tests.sources.vendors import SECRETS, signed

Rows = Callable[[], list[Response]]


def post(client: FlaskClient, source: str, request: vendors.Request) -> Any:
    return client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)


@pytest.mark.parametrize("bad", ["..", "../../users/me", "1/2", "105724755?x=1", "%2e%2e", ""])
@pytest.mark.parametrize("where", ["object_id", "survey_id"])
def test_surveymonkey_ids_that_are_not_numbers_are_refused_before_any_fetch(
    client: FlaskClient, rows: Rows, bad: str, where: str
) -> None:
    event = vendors.surveymonkey_event()
    (event if where == "object_id" else event["resources"])[where] = bad
    reply = post(client, "surveymonkey", signed("surveymonkey", event))
    assert reply.status_code == 400
    assert "SurveyMonkey id" in reply.get_json()["message"]
    assert rows() == []


@pytest.mark.parametrize(
    "changes",
    [{"ResponseID": "../../../API/v3/users"}, {"SurveyID": ".."}, {"ResponseID": "R_a/b"},
     {"SurveyID": "SV_abc/../x"}],
)  # fmt: skip
def test_qualtrics_ids_that_are_not_qualtrics_ids_are_refused(
    client: FlaskClient, rows: Rows, changes: dict[str, str]
) -> None:
    message = vendors.qualtrics_message() | changes
    topic = f"brand.surveyengine.completedResponse.{message['SurveyID']}"
    body = vendors.qualtrics_body(message, SECRETS["qualtrics"], topic=topic)
    reply = client.post(
        "/v1/webhooks/qualtrics", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert reply.status_code == 400
    assert rows() == []


def qualtrics_post(client: FlaskClient, message: dict[str, Any], topic: str) -> Any:
    body = vendors.qualtrics_body(message, SECRETS["qualtrics"], topic=topic)
    return client.post(
        "/v1/webhooks/qualtrics", data=body, content_type="application/x-www-form-urlencoded"
    )


@pytest.mark.parametrize(
    "topic",
    [
        "brand.surveyengine.completedResponse.SV_otherSurvey0001",  # another survey
        "otherbrand.surveyengine.completedResponse.SV_cVn9uBwheR9hz01",  # another brand
        "surveyengine.completedResponse.SV_cVn9uBwheR9hz01",  # no brand at all
    ],
)
def test_a_qualtrics_topic_that_disagrees_with_the_signed_message_is_refused(
    client: FlaskClient, rows: Rows, topic: str
) -> None:
    reply = qualtrics_post(client, vendors.qualtrics_message(), topic)
    assert reply.status_code == 401
    assert "Topic not covered by the signed MSG" in reply.get_json()["message"]
    assert rows() == []


def test_a_qualtrics_topic_matching_the_signed_message_is_accepted(
    client: FlaskClient, rows: Rows
) -> None:
    topic = "brand.surveyengine.completedResponse.SV_cVn9uBwheR9hz01"
    assert qualtrics_post(client, vendors.qualtrics_message(), topic).status_code == 200
    assert [r.external_id for r in rows()] == ["R_suq806jn8LGzhx7"]


def test_a_rewritten_topic_on_a_signed_message_cannot_turn_it_into_a_response(
    client: FlaskClient, rows: Rows
) -> None:
    """The signature covers MSG only: a captured request's Topic is edited by hand."""
    message = vendors.qualtrics_message()
    msg = json.dumps(message)
    original = vendors.qualtrics_body(message, SECRETS["qualtrics"])
    fields = dict(pair.split("=", 1) for pair in original.decode().split("&"))
    forged = (
        urlencode({"Topic": "brand.surveyengine.completedResponse.SV_someoneElse00001", "MSG": msg})
        + "&HMAC="
        + fields["HMAC"]
    )
    reply = client.post(
        "/v1/webhooks/qualtrics", data=forged, content_type="application/x-www-form-urlencoded"
    )
    assert reply.status_code == 401 and rows() == []


def star_rating_survey() -> tuple[dict[str, Any], dict[str, Any]]:
    """A SurveyMonkey survey whose first question is a 5-star rating with labelled stars."""
    survey = copy.deepcopy(SM_SURVEY)
    survey["pages"][0]["questions"][0] = {
        "id": "q-stars",
        "family": "matrix",
        "subtype": "rating",
        "display_options": {"display_type": "emoji", "display_subtype": "star"},
        "headings": [{"heading": "How would you rate your delivery?"}],
        "answers": {
            "rows": [{"id": "r1", "text": ""}],
            "choices": [
                {"id": f"s{w}", "text": label, "weight": w, "position": w}
                for w, label in enumerate(["Terrible", "Poor", "Okay", "Good", "Great"], start=1)
            ],
        },
    }
    details = copy.deepcopy(SM_DETAILS)
    details["pages"][0]["questions"][0] = {
        "id": "q-stars",
        "answers": [{"row_id": "r1", "choice_id": "s2"}],
    }
    return survey, details


def test_surveymonkey_star_ratings_are_read_from_the_choice_weights() -> None:
    survey, details = star_rating_survey()
    submission = _submission(details, _questions(survey))
    stars = submission.answers[0]
    assert (stars.kind, stars.value, stars.scale) == ("rating", 2, (1, 5))
    generic = to_generic(submission, SourceConfig(name="sm", type="surveymonkey"))
    assert generic["scores"] == {"csat": 2}  # two stars: CSAT 2, and no NPS made up from it


def test_surveymonkey_nps_still_comes_from_its_0_to_10_question() -> None:
    submission = _submission(SM_DETAILS, _questions(SM_SURVEY))
    generic = to_generic(submission, SourceConfig(name="sm", type="surveymonkey"))
    assert generic["scores"] == {"nps": 2}


def typeform_with_opinion_scale(steps: int, start_at_one: bool, value: int) -> bytes:
    payload = vendors.typeform_payload()
    form = payload["form_response"]
    form["definition"]["fields"] = [
        {
            "id": "OpSc4le",
            "ref": "how_easy",
            "type": "opinion_scale",
            "title": "How easy was it?",
            "properties": {"steps": steps, "start_at_one": start_at_one},
        },
        form["definition"]["fields"][1],
    ]
    form["answers"][0] = {
        "type": "number",
        "number": value,
        "field": {"id": "OpSc4le", "type": "opinion_scale", "ref": "how_easy"},
    }
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("steps", "start_at_one", "value", "nps"),
    [(5, True, 4, None), (11, False, 4, 4), (10, True, 4, None)],
)
def test_a_typeform_opinion_scale_is_the_nps_only_when_it_runs_0_to_10(
    steps: int, start_at_one: bool, value: int, nps: int | None
) -> None:
    body = typeform_with_opinion_scale(steps, start_at_one, value)
    source = SourceConfig(name="tf", type="typeform")
    (submission,) = Typeform().parse(body, {}, source).submissions
    assert to_generic(submission, source)["scores"].get("nps") == nps


def test_google_forms_scale_bounds_decide_whether_it_is_the_nps(client: FlaskClient) -> None:
    from services.ingest.sources.google_forms import GoogleForms

    source = SourceConfig(name="gf", type="google_forms")
    for bounds, nps in (([1, 5], None), ([0, 10], 4)):
        payload = vendors.google_forms_payload(scale="4")
        payload["response"]["answers"][0]["scale"] = bounds
        body = json.dumps(payload).encode()
        (submission,) = GoogleForms().parse(body, {}, source).submissions
        assert to_generic(submission, source)["scores"].get("nps") == nps


def test_formbricks_endpoint_test_is_answered_200_and_stores_nothing(
    client: FlaskClient, rows: Rows
) -> None:
    """Formbricks POSTs {"event": "testEndpoint"} while the webhook is created, signed with a
    secret it generates at that moment; current Formbricks saves the webhook on a 2xx."""
    for headers in (
        {"Content-Type": "application/json"},  # older Formbricks: unsigned
        vendors.standard(b'{"event": "testEndpoint"}', "whsec_" + "QUJD" * 8),  # unknown secret
    ):
        reply = client.post(
            "/v1/webhooks/formbricks", data=b'{"event": "testEndpoint"}', headers=headers
        )
        assert reply.status_code == 200
        assert reply.get_json() == {"status": "ignored", "reason": "Formbricks endpoint test"}
    assert rows() == []


def test_anything_more_than_the_bare_endpoint_test_is_verified_as_usual(
    client: FlaskClient, rows: Rows
) -> None:
    body = json.dumps(vendors.formbricks_payload()[0] | {"event": "testEndpoint"}).encode()
    reply = client.post("/v1/webhooks/formbricks", data=body, content_type="application/json")
    assert reply.status_code == 401
    assert rows() == []
