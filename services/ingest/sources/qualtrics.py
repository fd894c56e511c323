"""Qualtrics event subscriptions: thin, form-encoded, signed inside the body.

With a `sharedKey` on the subscription, Qualtrics posts `application/x-www-form-urlencoded`
fields `Topic`, `MSG` (the event as JSON: SurveyID, ResponseID, CompletedDate...) and `HMAC`,
the hex HMAC-SHA512 of the MSG text keyed with the shared key. The signature covers MSG only, so
the Topic must agree with the signed MSG: `{BrandID}.surveyengine.completedResponse.{SurveyID}`
with MSG's own SurveyID (and BrandID when MSG carries one); otherwise a signed message of one
survey could be replayed under another topic. The full response is fetched from
`GET /API/v3/surveys/{SurveyID}/responses/{ResponseID}` with `X-API-TOKEN`; both ids are checked
against Qualtrics' formats (`SV_...`, `R_...`) because they become part of that URL.
See docs/sources/qualtrics.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote

from services.ingest.sources import http, signing
from services.ingest.sources.base import (
    Answer,
    Kind,
    ParseResult,
    PayloadError,
    PermanentFetchError,
    SignatureError,
    SourceAdapter,
    Submission,
    Thin,
    need,
    obj,
    register,
)
from services.ingest.sources.config import SourceConfig

RESPONSE_TOPIC = "surveyengine.completedResponse."
SURVEY_ID = re.compile(r"SV_[A-Za-z0-9]{1,40}")
RESPONSE_ID = re.compile(r"R_[A-Za-z0-9]{1,40}")
BRAND_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
METADATA = {
    "startDate",
    "endDate",
    "status",
    "ipAddress",
    "progress",
    "duration",
    "finished",
    "recordedDate",
    "_recordId",
    "locationLatitude",
    "locationLongitude",
    "distributionChannel",
    "userLanguage",
    "recipientEmail",
    "recipientFirstName",
    "recipientLastName",
    "externalDataReference",
}


def form_fields(body: bytes) -> dict[str, str]:
    """Decode a form-encoded body strictly; raise PayloadError if it is not one."""
    try:
        text = body.decode("utf-8")
        parsed = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"body is not form-encoded: {exc}") from exc
    return {key: values[0] for key, values in parsed.items()}


def _qualtrics_time(value: Any) -> datetime:
    """CompletedDate is "2020-10-22 12:31:40" in UTC; API dates carry their zone (Z, +02:00)."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            return datetime.now(UTC)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    return datetime.now(UTC)


@register
class Qualtrics(SourceAdapter):
    type = "qualtrics"
    label = "Qualtrics"
    thin = True

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check the form's HMAC field: hex HMAC-SHA512 of its MSG field, keyed by sharedKey."""
        secrets = signing.require_secrets(source.secrets, source.name)
        try:
            fields = form_fields(body)
        except PayloadError as exc:
            raise SignatureError(f"unsigned: {exc}") from exc
        if not fields.get("HMAC") or "MSG" not in fields:
            raise SignatureError("missing HMAC or MSG field (set a sharedKey on the subscription)")
        given = signing.hexdecode(fields["HMAC"])
        keys = [secret.encode() for secret in secrets]
        signing.expect_hmac(given, fields["MSG"].encode(), keys, what="HMAC", algorithm="sha512")
        problem = topic_problem(fields.get("Topic", ""), fields["MSG"])
        if problem is not None:
            raise SignatureError(f"Topic not covered by the signed MSG: {problem}")

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read the completedResponse event's ids; other topics are acknowledged."""
        fields = form_fields(body)
        topic = fields.get("Topic", "")
        try:
            message = json.loads(fields.get("MSG", ""))
        except (ValueError, RecursionError) as exc:
            raise PayloadError(f"MSG is not JSON: {exc}") from exc
        payload = {"Topic": topic, "MSG": message}
        if RESPONSE_TOPIC not in topic:
            return ParseResult(ignored=f"topic {topic!r}", payload=payload)
        response_id = need(message, "ResponseID", str, "MSG")
        survey_id = need(message, "SurveyID", str, "MSG")
        if not RESPONSE_ID.fullmatch(response_id) or not SURVEY_ID.fullmatch(survey_id):
            raise PayloadError(
                "MSG.ResponseID or MSG.SurveyID is not a Qualtrics id (R_..., SV_...)"
            )
        thin = Thin(
            response_id=response_id,
            occurred_at=_qualtrics_time(message.get("CompletedDate")),
            ref={"survey_id": survey_id, "response_id": response_id},
        )
        return ParseResult(event_id=response_id, thin=thin, payload=payload)

    def handshake(self, method: str, args: Mapping[str, str]) -> tuple[dict[str, Any], int]:
        """Qualtrics requires the publication URL to answer GET as well as POST."""
        return {"status": "ready", "source_type": self.type}, 200

    def fetch(self, ref: Mapping[str, Any], source: SourceConfig, timeout: float) -> Submission:
        """Fetch one response by id with the source's API token."""
        if not source.api_token:
            raise PermanentFetchError(f"source {source.name!r} has no API token (api_token_env)")
        if not source.api_base_url:
            raise PermanentFetchError(f"source {source.name!r} needs api_base_url (datacenter)")
        if not (
            SURVEY_ID.fullmatch(str(ref.get("survey_id", "")))
            and RESPONSE_ID.fullmatch(str(ref.get("response_id", "")))
        ):
            raise PermanentFetchError("stored Qualtrics ids are not SV_... and R_... ids")
        url = (
            f"{source.api_base_url}/API/v3/surveys/{quote(str(ref['survey_id']), safe='')}"
            f"/responses/{quote(str(ref['response_id']), safe='')}"
        )
        document = http.get_json(
            url, headers={"X-API-TOKEN": str(source.api_token)}, timeout=timeout, vendor=self.label
        )
        return read_response(document, str(ref["response_id"]))


def topic_problem(topic: str, signed_msg: str) -> str | None:
    """Say why a response Topic disagrees with the signed MSG; other topics store nothing."""
    if RESPONSE_TOPIC not in topic:
        return None
    try:
        message = json.loads(signed_msg)
    except (ValueError, RecursionError):
        return None  # a malformed MSG is refused by `parse` (400)
    if not isinstance(message, dict) or not isinstance(message.get("SurveyID"), str):
        return None  # likewise: no SurveyID to compare with
    brand, sep, survey = topic.partition("." + RESPONSE_TOPIC)
    if not sep or not BRAND_ID.fullmatch(brand):
        return f"topic {topic!r} is not <brand>.{RESPONSE_TOPIC}<SurveyID>"
    if survey != message.get("SurveyID"):
        return "the topic's survey is not the signed SurveyID"
    if "BrandID" in message and brand != message["BrandID"]:
        return "the topic's brand is not the signed BrandID"
    return None


def read_response(document: Any, response_id: str) -> Submission:
    """Read a fetched `GET .../responses/{id}` document; PermanentFetchError if it has no values."""
    result = document.get("result") if isinstance(document, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("values"), dict):
        raise PermanentFetchError("Qualtrics response has no result.values")
    return _submission(result, response_id)


def _submission(result: dict[str, Any], response_id: str) -> Submission:
    values: dict[str, Any] = result["values"]
    labels = obj(result, "labels")
    nps_ids = {k.removesuffix("_NPS_GROUP") for k in values if k.endswith("_NPS_GROUP")}
    answers, fields = [], {}
    for key, value in values.items():
        if key.startswith("QID"):
            if key.endswith("_NPS_GROUP"):
                continue
            base = key.removesuffix("_TEXT")
            kind = Kind.NPS if key in nps_ids else Kind.OTHER
            if key.endswith("_TEXT"):
                kind = Kind.LONG_TEXT
            shown = labels.get(key, value) if kind is Kind.OTHER else value
            answers.append(Answer(keys=(key, base), kind=kind, value=shown))
        elif key not in METADATA and isinstance(value, str | int | float):
            fields[key] = value
    name = " ".join(
        str(values[k]) for k in ("recipientFirstName", "recipientLastName") if values.get(k)
    )
    respondent = {
        "id": values.get("externalDataReference"),
        "email": values.get("recipientEmail"),
        "name": name or None,
    }
    submitted = _qualtrics_time(values.get("recordedDate") or values.get("endDate"))
    return Submission(
        response_id=str(result.get("responseId") or response_id),
        submitted_at=submitted,
        answers=tuple(answers),
        fields=fields,
        respondent={k: v for k, v in respondent.items() if isinstance(v, str) and v},
        version=submitted,
    )
