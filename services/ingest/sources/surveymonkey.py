"""SurveyMonkey: thin webhooks; `Sm-Signature` is base64 HMAC-SHA1 keyed "client_id&secret".

The callback carries ids only (`object_id` is the response id, `resources.survey_id`); the full
response is fetched from `GET /v3/surveys/{survey_id}/responses/{id}/details` and the survey
definition (`/v3/surveys/{survey_id}/details`) names questions and choices. SurveyMonkey checks
the subscription URL with a HEAD request that must answer 200. See docs/sources/surveymonkey.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from services.ingest.sources import http, signing
from services.ingest.sources.base import (
    Answer,
    Kind,
    ParseResult,
    PermanentFetchError,
    SignatureError,
    SourceAdapter,
    Submission,
    Thin,
    need,
    obj,
    parse_time,
    read_event,
    register,
)
from services.ingest.sources.config import SourceConfig

HEADER = "Sm-Signature"
DEFAULT_BASE = "https://api.surveymonkey.com/v3"
RESPONSE_EVENTS = {"response_created", "response_completed", "response_updated"}


@register
class SurveyMonkey(SourceAdapter):
    type = "surveymonkey"
    label = "SurveyMonkey"
    thin = True

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check the base64 HMAC-SHA1 of the raw body, keyed "client_id&client_secret"."""
        secrets = signing.require_secrets(source.secrets, source.name)
        if not source.client_id:
            raise SignatureError(f"source {source.name!r} has no client id (client_id_env)")
        given = signing.b64decode(signing.header(headers, HEADER))
        keys = [f"{source.client_id}&{secret}".encode() for secret in secrets]
        signing.expect_hmac(given, body, keys, what=HEADER, algorithm="sha1")

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a response event's ids; the response itself is fetched later."""
        event = read_event(
            body, type_key="event_type", id_key="event_id", responses=RESPONSE_EVENTS
        )
        if not event.is_response:
            return event.ignored()
        response_id = str(need(event.payload, "object_id", (str, int), "body"))
        resources = need(event.payload, "resources", dict, "body")
        survey_id = str(need(resources, "survey_id", (str, int), "resources"))
        occurred = parse_time(event.payload.get("event_datetime"), "event_datetime")
        thin = Thin(
            response_id=response_id,
            occurred_at=occurred,
            ref={"survey_id": survey_id, "response_id": response_id},
        )
        return event.accepted(thin=thin)

    def fetch(self, ref: Mapping[str, Any], source: SourceConfig, timeout: float) -> Submission:
        """Fetch the response details and the survey definition that names its answers."""
        if not source.api_token:
            raise PermanentFetchError(f"source {source.name!r} has no API token (api_token_env)")
        base = source.api_base_url or DEFAULT_BASE
        auth = {"Authorization": f"Bearer {source.api_token}", "Accept": "application/json"}
        survey = quote(str(ref["survey_id"]), safe="")
        response_id = quote(str(ref["response_id"]), safe="")
        details = http.get_json(
            f"{base}/surveys/{survey}/responses/{response_id}/details",
            headers=auth,
            timeout=timeout,
            vendor=self.label,
        )
        definition = http.get_json(
            f"{base}/surveys/{survey}/details", headers=auth, timeout=timeout, vendor=self.label
        )
        return _submission(details, _questions(definition))


def _questions(definition: Any) -> dict[str, dict[str, Any]]:
    """Question id -> {title, kind, choices: {choice id: text}} from the survey details."""
    questions: dict[str, dict[str, Any]] = {}
    pages = definition.get("pages") if isinstance(definition, dict) else None
    for page in pages if isinstance(pages, list) else []:
        for question in page.get("questions") or [] if isinstance(page, dict) else []:
            if not isinstance(question, dict) or "id" not in question:
                continue
            headings = question.get("headings") or [{}]
            title = headings[0].get("heading", "") if isinstance(headings[0], dict) else ""
            answers = obj(question, "answers")
            choices = {
                str(c.get("id")): str(c.get("text", ""))
                for c in answers.get("choices") or []
                if isinstance(c, dict)
            }
            questions[str(question["id"])] = {
                "title": str(title),
                "kind": _kind(question, choices),
                "choices": choices,
            }
    return questions


def _kind(question: dict[str, Any], choices: dict[str, str]) -> Kind:
    if question.get("family") == "open_ended":
        return Kind.LONG_TEXT if question.get("subtype") == "essay" else Kind.TEXT
    numbers = sorted(int(t) for t in choices.values() if t.strip().isdigit())
    if len(numbers) == len(choices) == 11 and numbers == list(range(11)):
        return Kind.NPS
    if numbers and len(numbers) == len(choices) and numbers == list(range(1, len(numbers) + 1)):
        return Kind.RATING if len(numbers) == 5 else Kind.SCALE
    return Kind.OTHER


def _submission(details: Any, questions: dict[str, dict[str, Any]]) -> Submission:
    if not isinstance(details, dict) or not isinstance(details.get("id"), str | int):
        raise PermanentFetchError("SurveyMonkey response details lack an id")
    answers = []
    for page in details.get("pages") or []:
        for item in page.get("questions") or [] if isinstance(page, dict) else []:
            if not isinstance(item, dict):
                continue
            info = questions.get(
                str(item.get("id")), {"title": "", "kind": Kind.OTHER, "choices": {}}
            )
            values = []
            for answer in item.get("answers") or []:
                if isinstance(answer, dict):
                    if "text" in answer:
                        values.append(answer["text"])
                    elif "choice_id" in answer:
                        values.append(info["choices"].get(str(answer["choice_id"]), ""))
            value = values[0] if len(values) == 1 else ", ".join(map(str, values))
            answers.append(
                Answer(keys=(str(item.get("id")), info["title"]), kind=info["kind"], value=value)
            )
    fields = {
        str(k): v
        for k, v in (details.get("custom_variables") or {}).items()
        if isinstance(v, str | int | float)
    }
    created = details.get("date_created")
    submitted = parse_time(created, "date_created") if created else datetime.now(UTC)
    modified = details.get("date_modified")
    return Submission(
        response_id=str(details["id"]),
        submitted_at=submitted,
        answers=tuple(answers),
        fields=fields,
        version=parse_time(modified, "date_modified") if modified else submitted,
    )
