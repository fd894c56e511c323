"""A local HTTP stand-in of the SurveyMonkey v3 and Qualtrics v3 APIs, answering as documented."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, jsonify, request

from tests.support.serving import serve

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
        self.retry_after = "7"
        self.calls: list[str] = []
        self.url = ""
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
            return jsonify({"error": "failure"}), self.fail_with, {"Retry-After": self.retry_after}
        if not authorized:
            return jsonify({"error": {"message": "invalid token"}}), 401
        if document is None:
            return jsonify({"error": {"message": "not found"}}), 404
        return jsonify(document)


@contextmanager
def running() -> Iterator[VendorStandIn]:
    """Serve a stand-in on a free port; its base URL is `url`."""
    vendor = VendorStandIn()
    with serve(vendor.app) as vendor.url:
        yield vendor
