"""Thin webhooks: the full response is fetched from a local stand-in of the vendor's API."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from services.ingest.sources.base import PermanentFetchError, TransientFetchError
from services.ingest.sources.config import load_sources
from services.ingest.sources.fetch import apply_fetched, fetch_submission, record_failure
from services.router.fetch import backoff
from shared.db import transaction
from shared.models import Response
from shared.settings import Settings
from tests.sources import vendors
from tests.sources.vendors import signed

SM_SURVEY = {
    "id": "105724755",
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "q-nps",
                    "family": "matrix",
                    "subtype": "rating",
                    "headings": [{"heading": "How likely is it that you would recommend us?"}],
                    "answers": {
                        "rows": [{"id": "r1", "text": ""}],
                        "choices": [
                            {"id": f"c{i}", "text": str(i), "position": i + 1} for i in range(11)
                        ],
                    },
                },
                {
                    "id": "q-why",
                    "family": "open_ended",
                    "subtype": "essay",
                    "headings": [{"heading": "Why?"}],
                },
            ],
        }
    ],
}
SM_DETAILS = {
    "id": "5007154402",
    "survey_id": "105724755",
    "collector_id": "50253690",
    "date_created": "2015-12-28T21:57:14+00:00",
    "date_modified": "2015-12-28T21:59:38+00:00",
    "response_status": "completed",
    "custom_variables": {"touchpoint": "delivery", "customer_id": "C-9"},
    "pages": [
        {
            "id": "p1",
            "questions": [
                {"id": "q-nps", "answers": [{"row_id": "r1", "choice_id": "c2"}]},
                {"id": "q-why", "answers": [{"text": "The parcel arrived a week late."}]},
            ],
        }
    ],
}
QX_RESPONSE = {
    "result": {
        "responseId": "R_suq806jn8LGzhx7",
        "values": {
            "startDate": "2020-10-22T12:29:40Z",
            "recordedDate": "2020-10-22T12:31:40Z",
            "finished": 1,
            "QID1": 3,
            "QID1_NPS_GROUP": 1,
            "QID2_TEXT": "The agent hung up on me.",
            "touchpoint": "support",
            "customer_id": "C-5",
            "recipientEmail": "kim@example.com",
        },
        "labels": {"QID1": "3", "finished": "True"},
    },
    "meta": {"httpStatus": "200 - OK", "requestId": "r-1"},
}


class VendorStandIn:
    """SurveyMonkey v3 and Qualtrics v3 response endpoints, answering as documented."""

    def __init__(self) -> None:
        self.fail_with: int | None = None
        self.calls: list[str] = []
        app = Flask("vendor")

        @app.get("/v3/surveys/<survey>/responses/<response>/details")
        def sm_details(survey: str, response: str) -> Any:
            return self._answer(
                request.headers.get("Authorization") == "Bearer sm-access-token",
                SM_DETAILS if response == SM_DETAILS["id"] else None,
            )

        @app.get("/v3/surveys/<survey>/details")
        def sm_survey(survey: str) -> Any:
            return self._answer(
                request.headers.get("Authorization") == "Bearer sm-access-token", SM_SURVEY
            )

        @app.get("/API/v3/surveys/<survey>/responses/<response>")
        def qx_response(survey: str, response: str) -> Any:
            return self._answer(
                request.headers.get("X-API-TOKEN") == "qx-api-token",
                QX_RESPONSE if response == "R_suq806jn8LGzhx7" else None,
            )

        self.app = app

    def _answer(self, authorized: bool, document: Any) -> Any:
        self.calls.append(request.path)
        if self.fail_with:
            return jsonify({"error": "failure"}), self.fail_with, {"Retry-After": "7"}
        if not authorized:
            return jsonify({"error": {"message": "invalid token"}}), 401
        if document is None:
            return jsonify({"error": {"message": "not found"}}), 404
        return jsonify(document)


@pytest.fixture
def standin() -> Iterator[VendorStandIn]:
    vendor = VendorStandIn()
    server = make_server("127.0.0.1", 0, vendor.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    vendor.url = f"http://127.0.0.1:{server.server_port}"  # type: ignore[attr-defined]
    yield vendor
    server.shutdown()
    thread.join()


@pytest.fixture
def vendor_api(standin: VendorStandIn) -> str:
    return standin.url  # type: ignore[attr-defined,no-any-return]


def _complete(sessions: sessionmaker[Session], sources_path: Any, row_id: int) -> Any:
    """Do what the router's fetch task does, without the Celery wrapper."""
    sources = load_sources(sources_path, os.environ)
    with transaction(sessions) as session:
        data = fetch_submission(session, response_id=row_id, sources=sources, timeout=5)
    assert data is not None
    with transaction(sessions) as session:
        return apply_fetched(session, response_id=row_id, data=data)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "surveymonkey",
            {
                "nps": 2,
                "comment": "The parcel arrived a week late.",
                "touchpoint": "delivery",
                "respondent_id": "C-9",
            },
        ),
        (
            "qualtrics",
            {
                "nps": 3,
                "comment": "The agent hung up on me.",
                "touchpoint": "support",
                "respondent_id": "C-5",
                "respondent_email": "kim@example.com",
            },
        ),
    ],
)
def test_a_thin_event_is_completed_from_the_vendor_api_and_handed_to_routing(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    settings: Settings,
    rows: Callable[[], list[Response]],
    sources_file: Any,
    source: str,
    expected: dict[str, Any],
) -> None:
    request_ = signed(source, vendors.example(source))
    assert (
        client.post(
            f"/v1/webhooks/{source}", data=request_.body, headers=request_.headers
        ).status_code
        == 200
    )
    (row,) = rows()
    stored = _complete(sessions, sources_file, row.id)
    assert stored.needs_routing
    (row,) = rows()
    for column, value in expected.items():
        assert getattr(row, column) == value, column
    assert row.routed_at is None and row.routing_error is None
    assert row.raw["fetch"] == "done"


def test_a_repeated_thin_event_asks_for_no_second_fetch_once_fetched(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Any,
) -> None:
    request_ = signed("surveymonkey", vendors.surveymonkey_event())
    client.post("/v1/webhooks/surveymonkey", data=request_.body, headers=request_.headers)
    _complete(sessions, sources_file, rows()[0].id)
    again = client.post("/v1/webhooks/surveymonkey", data=request_.body, headers=request_.headers)
    assert again.get_json()["responses"][0]["outcome"] == "duplicate"
    assert len(rows()) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, TransientFetchError), (429, TransientFetchError), (401, PermanentFetchError)],
)
def test_vendor_failures_are_classified_for_the_retry_policy(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
    sources_file: Any,
    standin: VendorStandIn,
    status: int,
    error: type[Exception],
) -> None:
    request_ = signed("qualtrics", vendors.qualtrics_message())
    client.post("/v1/webhooks/qualtrics", data=request_.body, headers=request_.headers)
    standin.fail_with = status
    with pytest.raises(error) as raised, transaction(sessions) as session:
        fetch_submission(
            session,
            response_id=rows()[0].id,
            sources=load_sources(sources_file, os.environ),
            timeout=5,
        )
    if status != 401:
        assert raised.value.retry_after == 7  # type: ignore[attr-defined]


def test_an_unreachable_vendor_api_is_transient(
    sessions: sessionmaker[Session],
    client: FlaskClient,
    rows: Callable[[], list[Response]],
    sources_file: Any,
    standin: VendorStandIn,
) -> None:
    request_ = signed("surveymonkey", vendors.surveymonkey_event())
    client.post("/v1/webhooks/surveymonkey", data=request_.body, headers=request_.headers)
    sources = load_sources(sources_file, os.environ)
    broken = replace(sources.by_name["surveymonkey"], api_base_url="http://127.0.0.1:9/v3")
    sources = replace(sources, by_name={"surveymonkey": broken})
    with pytest.raises(TransientFetchError), transaction(sessions) as session:
        fetch_submission(session, response_id=rows()[0].id, sources=sources, timeout=2)


def test_a_response_that_cannot_be_fetched_keeps_a_clear_error(
    client: FlaskClient,
    sessions: sessionmaker[Session],
    rows: Callable[[], list[Response]],
) -> None:
    request_ = signed("surveymonkey", vendors.surveymonkey_event(response_id="404404"))
    client.post("/v1/webhooks/surveymonkey", data=request_.body, headers=request_.headers)
    row_id = rows()[0].id
    with transaction(sessions) as session:
        record_failure(
            session, response_id=row_id, error="SurveyMonkey API answered 404 for the response"
        )
    (row,) = rows()
    assert row.routing_error == "SurveyMonkey API answered 404 for the response"
    assert row.raw["fetch"] == "failed"
    assert row.routed_at is not None  # nothing to route: the sweep must not route an empty row


def test_backoff_grows_exponentially_is_capped_and_honours_retry_after(settings: Settings) -> None:
    tuned = settings.with_(retry_backoff_s=2.0, retry_backoff_max_s=60.0)
    assert [backoff(tuned, n, None) for n in range(6)] == [2, 4, 8, 16, 32, 60]
    assert backoff(tuned, 0, 30.0) == 30
