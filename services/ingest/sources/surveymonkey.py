"""SurveyMonkey: thin webhooks; `Sm-Signature` is base64 HMAC-SHA1 keyed "client_id&secret".

The callback carries ids only (`object_id` is the response id, `resources.survey_id`); the full
response is fetched from `GET /v3/surveys/{survey_id}/responses/{id}/details` and the survey
definition (`/v3/surveys/{survey_id}/details`) names questions and choices. SurveyMonkey checks
the subscription URL with a HEAD request that must answer 200. See docs/sources/surveymonkey.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

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
    parse_time,
    read_event,
    register,
)
from services.ingest.sources.config import SourceConfig

HEADER = "Sm-Signature"
# SurveyMonkey's ids are numbers; the worker puts them into API paths, so nothing else may pass.
ID = re.compile(r"[0-9]{1,20}")
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
        response_id = _id(need(event.payload, "object_id", (str, int), "body"), "object_id")
        resources = need(event.payload, "resources", dict, "body")
        survey_id = _id(need(resources, "survey_id", (str, int), "resources"), "survey_id")
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
        if not all(ID.fullmatch(str(ref.get(k, ""))) for k in ("survey_id", "response_id")):
            raise PermanentFetchError("stored SurveyMonkey ids are not numeric")
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
        return read_response(details, definition)


def read_response(details: Any, definition: Any) -> Submission:
    """Read fetched response details with the survey definition that names their answers."""
    return _submission(details, _questions(definition))


def _id(value: str | int, where: str) -> str:
    """A SurveyMonkey id, refused (400) unless numeric: it becomes part of an API URL."""
    text = str(value)
    if isinstance(value, bool) or not ID.fullmatch(text):
        raise PayloadError(f"{where} is not a SurveyMonkey id (digits only)")
    return text


def _questions(definition: Any) -> dict[str, dict[str, Any]]:
    """Question id -> {title, kind, scale, choices, weights} from the survey details."""
    questions: dict[str, dict[str, Any]] = {}
    pages = definition.get("pages") if isinstance(definition, dict) else None
    for page in _list(pages):
        for question in _list(page.get("questions")) if isinstance(page, dict) else []:
            if not isinstance(question, dict) or "id" not in question:
                continue
            headings = _list(question.get("headings")) or [{}]
            title = headings[0].get("heading", "") if isinstance(headings[0], dict) else ""
            answers = obj(question, "answers")
            items = [c for c in _list(answers.get("choices")) if isinstance(c, dict)]
            choices = {str(c.get("id")): str(c.get("text", "")) for c in items}
            weights = _weights(question, items)
            kind, scale = _kind(question, choices) if weights is None else _by_weight(weights)
            questions[str(question["id"])] = {
                "title": str(title),
                "kind": kind,
                "scale": scale,
                "choices": choices,
                "weights": weights or {},
            }
    return questions


def _list(value: Any) -> list[Any]:
    """A list member of a fetched document, or an empty one if it is missing or not a list."""
    return value if isinstance(value, list) else []


def _weights(question: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, int] | None:
    """A rating question's choice weights (stars: 1..5), which carry its value; else None.

    Star and rating choices are labels ("Poor" .. "Excellent") or empty: their `weight` is
    the number. Only rating questions are read this way; other choices keep their text.
    """
    display = obj(question, "display_options")
    rating = question.get("subtype") == "rating" or display.get("display_subtype") == "star"
    weights = {str(c.get("id")): c.get("weight") for c in items}
    if not rating or not weights:
        return None
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in weights.values()):
        return None
    return {k: int(v) for k, v in weights.items() if v is not None}


def _by_weight(weights: dict[str, int]) -> tuple[Kind, tuple[int, int]]:
    low, high = min(weights.values()), max(weights.values())
    if (low, high) == (0, 10):
        return Kind.NPS, (low, high)
    return (Kind.RATING if (low, high) == (1, 5) else Kind.SCALE), (low, high)


def _kind(question: dict[str, Any], choices: dict[str, str]) -> tuple[Kind, tuple[int, int] | None]:
    if question.get("family") == "open_ended":
        return (Kind.LONG_TEXT if question.get("subtype") == "essay" else Kind.TEXT), None
    numbers = sorted(int(t) for t in choices.values() if t.strip().isdecimal())
    if len(numbers) == len(choices) == 11 and numbers == list(range(11)):
        return Kind.NPS, (0, 10)
    if numbers and len(numbers) == len(choices) and numbers == list(range(1, len(numbers) + 1)):
        return (Kind.RATING if len(numbers) == 5 else Kind.SCALE), (1, len(numbers))
    return Kind.OTHER, None


UNKNOWN_QUESTION: dict[str, Any] = {
    "title": "",
    "kind": Kind.OTHER,
    "scale": None,
    "choices": {},
    "weights": {},
}


def _submission(details: Any, questions: dict[str, dict[str, Any]]) -> Submission:
    if not isinstance(details, dict) or not isinstance(details.get("id"), str | int):
        raise PermanentFetchError("SurveyMonkey response details lack an id")
    answers = []
    for page in _list(details.get("pages")):
        for item in _list(page.get("questions")) if isinstance(page, dict) else []:
            if not isinstance(item, dict):
                continue
            info = questions.get(str(item.get("id")), UNKNOWN_QUESTION)
            values = []
            for answer in _list(item.get("answers")):
                if isinstance(answer, dict):
                    if "text" in answer:
                        values.append(answer["text"])
                    elif str(answer.get("choice_id")) in info["weights"]:
                        values.append(info["weights"][str(answer["choice_id"])])
                    elif "choice_id" in answer:
                        values.append(info["choices"].get(str(answer["choice_id"]), ""))
            value = values[0] if len(values) == 1 else ", ".join(map(str, values))
            answers.append(
                Answer(
                    keys=(str(item.get("id")), info["title"]),
                    kind=info["kind"],
                    value=value,
                    scale=info["scale"],
                )
            )
    fields = {
        str(k): v
        for k, v in obj(details, "custom_variables").items()
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
