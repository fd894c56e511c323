"""Vendor payloads shaped like each vendor's documented example, and their signers.

The signers are written from each vendor's documentation, independently of the adapters
(Standard Webhooks requests are signed by the official `standardwebhooks` library), so a test
passing means cxloop verifies what the vendor really sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from standardwebhooks.webhooks import Webhook

SECRETS = {
    "typeform": "tf-secret-current",
    "delighted": "delighted-api-key",
    "surveymonkey": "sm-client-secret",
    "qualtrics": "qualtrics-shared-key",
    "formbricks": "whsec_" + base64.b64encode(b"formbricks-key-bytes-0123456789").decode(),
    "tally": "tally-signing-secret",
    "google-forms": "whsec_" + base64.b64encode(b"google-forms-key-bytes-01234567").decode(),
    "standard": "whsec_" + base64.b64encode(b"standard-webhooks-key-0123456789").decode(),
    "generic": "generic-secret",
}
OLD_SECRETS = {
    name: secret + "-old"
    if not secret.startswith("whsec_")
    else "whsec_" + base64.b64encode(b"previous-key-" + name.encode()).decode()
    for name, secret in SECRETS.items()
}
SM_CLIENT_ID = "sm-client-id"


@dataclass(frozen=True)
class Request:
    """A signed request as the vendor would send it."""

    body: bytes
    headers: dict[str, str]


def now_ts() -> int:
    return int(datetime.now(UTC).timestamp())


def _hmac(key: bytes, msg: bytes, algo: Callable[..., Any] = hashlib.sha256) -> bytes:
    return hmac.new(key, msg, algo).digest()


def typeform(body: bytes, secret: str) -> dict[str, str]:
    sig = base64.b64encode(_hmac(secret.encode(), body)).decode()
    return {"Typeform-Signature": f"sha256={sig}", "Content-Type": "application/json"}


def tally(body: bytes, secret: str) -> dict[str, str]:
    sig = base64.b64encode(_hmac(secret.encode(), body)).decode()
    return {"Tally-Signature": sig, "Content-Type": "application/json"}


def delighted(body: bytes, secret: str) -> dict[str, str]:
    sig = _hmac(secret.encode(), body).hex()
    return {"X-Delighted-Webhook-Signature": f"sha256={sig}", "Content-Type": "application/json"}


def surveymonkey(body: bytes, secret: str) -> dict[str, str]:
    key = f"{SM_CLIENT_ID}&{secret}".encode()
    sig = base64.b64encode(_hmac(key, body, hashlib.sha1)).decode()
    return {
        "Sm-Apikey": SM_CLIENT_ID,
        "Sm-Signature": sig,
        "Content-Type": "application/vnd.surveymonkey.response.v1+json",
    }


def standard(
    body: bytes, secret: str, *, msg_id: str = "msg_1", at: int | None = None
) -> dict[str, str]:
    stamp = datetime.fromtimestamp(at if at is not None else now_ts(), UTC)
    sig = Webhook(secret).sign(msg_id, stamp, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": sig,
        "Content-Type": "application/json",
    }


def generic(body: bytes, secret: str, *, at: int | None = None) -> dict[str, str]:
    stamp = str(at if at is not None else now_ts())
    sig = _hmac(secret.encode(), stamp.encode() + b"." + body).hex()
    return {
        "X-Cxloop-Signature": f"sha256={sig}",
        "X-Cxloop-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def qualtrics_body(message: dict[str, Any], secret: str, topic: str | None = None) -> bytes:
    """Form-encoded Topic, MSG and HMAC (hex HMAC-SHA512 of MSG keyed by the shared key)."""
    msg = json.dumps(message)
    topic = topic or "brand.surveyengine.completedResponse.SV_cVn9uBwheR9hz01"
    sig = _hmac(secret.encode(), msg.encode(), hashlib.sha512).hex()
    return urlencode({"Topic": topic, "HMAC": sig, "MSG": msg}).encode()


# --- documented example payloads -------------------------------------------------------------


def typeform_payload(
    *,
    token: str = "a3a12ec67a1365927098a606107fac15",
    nps: int = 3,
    comment: str = "The courier left my parcel in the rain.",
) -> dict[str, Any]:
    """Typeform's form_response example, trimmed to an NPS, a long text and hidden fields."""
    return {
        "event_id": "LtWXD3crgy",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": token,
            "landed_at": "2024-01-18T18:07:02Z",
            "submitted_at": "2024-01-18T18:17:02Z",
            "hidden": {
                "customer_id": "C-1001",
                "touchpoint": "delivery",
                "region": "emea",
                "email": "laura@example.com",
            },
            "definition": {
                "id": "lT4Z3j",
                "title": "Delivery survey",
                "fields": [
                    {
                        "id": "DlXFaesGBpoF",
                        "ref": "nps_recommend",
                        "type": "nps",
                        "title": "How likely are you to recommend us?",
                    },
                    {
                        "id": "SMEUb7VJz92Q",
                        "ref": "why_score",
                        "type": "long_text",
                        "title": "What is the main reason for your score?",
                    },
                ],
            },
            "answers": [
                {
                    "type": "number",
                    "number": nps,
                    "field": {"id": "DlXFaesGBpoF", "type": "nps", "ref": "nps_recommend"},
                },
                {
                    "type": "text",
                    "text": comment,
                    "field": {"id": "SMEUb7VJz92Q", "type": "long_text", "ref": "why_score"},
                },
            ],
        },
    }


def delighted_payload(
    *,
    event_type: str = "survey_response.created",
    score: int = 2,
    comment: str | None = None,
    updated_at: int = 1732186844,
) -> dict[str, Any]:
    """Delighted's survey_response example (ids, person, survey_type, score, comment)."""
    return {
        "event_type": event_type,
        "event_id": f"evt-{event_type}-{updated_at}",
        "event_data": {
            "id": "5435",
            "person": {
                "id": "5975",
                "email": "charlie_gravis@example.com",
                "name": "Charlie Gravis",
                "created_at": 1732186784,
            },
            "survey_type": "nps",
            "score": score,
            "comment": comment,
            "permalink": "https://app.delighted.com/r/5pFDpmlyC8GUc5oxU6USto5VonSKAqOa",
            "created_at": 1732186844,
            "updated_at": updated_at,
            "person_properties": {"touchpoint": "delivery", "customer_id": "C-42", "plan": "pro"},
            "notes": [],
            "tags": [],
            "additional_answers": [],
        },
    }


def tally_payload(
    *, rating: int = 1, text: str = "Checkout kept failing on my card."
) -> dict[str, Any]:
    """Tally's FORM_RESPONSE example with a rating, a textarea and hidden fields."""
    return {
        "eventId": "a4cb511e-d513-4fa5-baee-b815d718dfd1",
        "eventType": "FORM_RESPONSE",
        "createdAt": "2024-06-13T12:00:00.000Z",
        "data": {
            "responseId": "2wgx4n",
            "submissionId": "2wgx4n",
            "respondentId": "dwQKYm",
            "formId": "VwbNEw",
            "formName": "Checkout feedback",
            "createdAt": "2024-06-13T12:00:00.000Z",
            "fields": [
                {
                    "key": "question_3EKz4n",
                    "label": "How was checkout?",
                    "type": "RATING",
                    "value": rating,
                },
                {
                    "key": "question_w4Q4Xn",
                    "label": "Tell us more",
                    "type": "TEXTAREA",
                    "value": text,
                },
                {
                    "key": "question_hidden_1",
                    "label": "touchpoint",
                    "type": "HIDDEN_FIELDS",
                    "value": "checkout",
                },
                {
                    "key": "question_hidden_2",
                    "label": "customer_id",
                    "type": "HIDDEN_FIELDS",
                    "value": "C-77",
                },
            ],
        },
    }


def formbricks_payload(
    *,
    event: str = "responseFinished",
    nps: int | None = 2,
    updated_at: str = "2025-07-24T07:47:56.116Z",
) -> list[dict[str, Any]]:
    """Formbricks' documented payload (a list holding one event)."""
    data: dict[str, Any] = {"feedback": "The app crashes every time I open my basket."}
    if nps is not None:
        data["nps"] = nps
    return [
        {
            "data": {
                "contact": None,
                "contactAttributes": None,
                "createdAt": "2025-07-24T07:47:29.507Z",
                "data": data,
                "displayId": "displayId",
                "endingId": "endingId",
                "finished": event == "responseFinished",
                "id": "responseId",
                "language": "en",
                "meta": {
                    "country": "DE",
                    "url": "https://app.formbricks.com/s/surveyId?touchpoint=app",
                },
                "singleUseId": None,
                "survey": {
                    "createdAt": "2025-07-20T10:30:00.000Z",
                    "status": "inProgress",
                    "title": "Customer Satisfaction Survey",
                    "type": "link",
                    "updatedAt": "2025-07-24T07:45:00.000Z",
                },
                "surveyId": "surveyId",
                "tags": [],
                "ttc": {"nps": 2154.7},
                "updatedAt": updated_at,
                "variables": {"touchpoint": "app"},
            },
            "event": event,
            "webhookId": "webhookId",
        }
    ]


def google_forms_payload(*, scale: str = "2") -> dict[str, Any]:
    """What deploy/google-forms/Code.gs posts on form submit."""
    return {
        "type": "form_response",
        "form": {"id": "1FAIpQLSf", "title": "Store visit"},
        "response": {
            "id": "2_ABaOnuc",
            "submitted_at": "2024-05-02T09:30:00.000Z",
            "respondent_email": "sam@example.com",
            "answers": [
                {
                    "item_id": "101",
                    "title": "How likely are you to recommend us to a friend?",
                    "type": "SCALE",
                    "value": scale,
                },
                {
                    "item_id": "102",
                    "title": "What is the main reason for your score?",
                    "type": "PARAGRAPH_TEXT",
                    "value": "Nobody at the store could help me.",
                },
                {
                    "item_id": "103",
                    "title": "What was this about?",
                    "type": "MULTIPLE_CHOICE",
                    "value": "store",
                },
            ],
        },
    }


def generic_payload(source: str, response_id: str = "g-1") -> dict[str, Any]:
    return {
        "source": source,
        "response_id": response_id,
        "submitted_at": "2024-05-02T09:30:00Z",
        "touchpoint": "billing",
        "scores": {"nps": 1},
        "comment": "I was charged twice this month.",
    }


def surveymonkey_event(
    *, event_type: str = "response_completed", response_id: str = "5007154402"
) -> dict[str, Any]:
    """SurveyMonkey's documented response event: ids only."""
    return {
        "name": "My Webhook",
        "filter_type": "collector",
        "filter_id": "123456789",
        "event_type": event_type,
        "event_id": f"ev-{event_type}-{response_id}",
        "object_type": "response",
        "object_id": response_id,
        "event_datetime": "2016-01-01T21:56:31.182613+00:00",
        "resources": {
            "respondent_id": "123456789",
            "recipient_id": "123456789",
            "collector_id": "123456789",
            "survey_id": "105724755",
            "user_id": "123456789",
        },
    }


def qualtrics_message(response_id: str = "R_suq806jn8LGzhx7") -> dict[str, Any]:
    """The MSG of a completedResponse event, as Qualtrics posts it."""
    return {
        "Status": "Complete",
        "SurveyID": "SV_cVn9uBwheR9hz01",
        "RecipientID": "CGC_GiMUyLkGpEZsVF3",
        "ResponseEventContext": "",
        "DistributionID": "EMD_96woxYS85Cg5Lqx",
        "ResponseID": response_id,
        "CompletedDate": "2020-10-22 12:31:40",
        "BrandID": "brand",
    }


def signed(name: str, payload: Any, secret: str | None = None) -> Request:
    """Sign a payload for a source the way its vendor does."""
    secret = secret or SECRETS[name]
    if name == "qualtrics":
        body = qualtrics_body(payload, secret)
        return Request(body, {"Content-Type": "application/x-www-form-urlencoded"})
    body = json.dumps(payload).encode()
    signer = {
        "typeform": typeform,
        "tally": tally,
        "delighted": delighted,
        "surveymonkey": surveymonkey,
        "formbricks": standard,
        "google-forms": standard,
        "standard": standard,
        "generic": generic,
    }[name]
    return Request(body, signer(body, secret))


def example(name: str) -> Any:
    """A documented response payload for each source."""
    return {
        "typeform": typeform_payload,
        "delighted": delighted_payload,
        "tally": tally_payload,
        "formbricks": formbricks_payload,
        "google-forms": google_forms_payload,
        "surveymonkey": surveymonkey_event,
        "qualtrics": qualtrics_message,
        "standard": lambda: generic_payload("standard"),
        "generic": lambda: generic_payload("generic"),
    }[name]()
