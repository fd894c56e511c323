"""Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>`, JSON body.

Payload (`event_type: form_response`): `form_response.token` is the response id,
`answers[]` carry `field {id, ref, type}` and a value under the key named by `type`,
`definition.fields[]` give titles, `hidden` the hidden fields. See docs/sources/typeform.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.ingest.sources import signing
from services.ingest.sources.base import (
    Answer,
    Kind,
    ParseResult,
    PayloadError,
    SignatureError,
    SourceAdapter,
    Submission,
    load_json,
    need,
    parse_time,
    register,
)
from services.ingest.sources.config import SourceConfig

HEADER = "Typeform-Signature"
RESPONSE_EVENTS = {"form_response", "form_response_partial"}
KINDS = {
    "nps": Kind.NPS,
    "opinion_scale": Kind.SCALE,
    "rating": Kind.RATING,
    "long_text": Kind.LONG_TEXT,
    "short_text": Kind.TEXT,
    "email": Kind.EMAIL,
}


@register
class Typeform(SourceAdapter):
    type = "typeform"
    label = "Typeform"

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check the base64 HMAC-SHA256 of the raw body against each active secret."""
        secrets = signing.require_secrets(source.secrets, source.name)
        scheme, _, value = signing.header(headers, HEADER).partition("=")
        if scheme != "sha256" or not value:
            raise SignatureError(f"{HEADER} must be 'sha256=<base64>'")
        given = signing.b64decode(value)
        expected = [signing.digest(s.encode(), body) for s in secrets]
        if not signing.matches_any(given, expected):
            raise SignatureError(f"{HEADER} does not match a configured secret")

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a form_response event; other event types are acknowledged and ignored."""
        payload = load_json(body)
        event_type = need(payload, "event_type", str, "body")
        event_id = payload.get("event_id") if isinstance(payload.get("event_id"), str) else None
        if event_type not in RESPONSE_EVENTS:
            return ParseResult(
                event_id=event_id, ignored=f"event type {event_type!r}", payload=payload
            )
        response = need(payload, "form_response", dict, "body")
        token = need(response, "token", str, "form_response")
        submitted = parse_time(
            response.get("submitted_at") or response.get("landed_at"), "form_response.submitted_at"
        )
        submission = Submission(
            response_id=token,
            submitted_at=submitted,
            answers=tuple(_answers(response)),
            fields=_fields(response),
            version=submitted,
        )
        return ParseResult(event_id=event_id, submissions=(submission,), payload=payload)


def _answers(response: dict[str, Any]) -> list[Answer]:
    definition = response.get("definition")
    titles: dict[str, str] = {}
    if isinstance(definition, dict) and isinstance(definition.get("fields"), list):
        for item in definition["fields"]:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                titles[item["id"]] = str(item.get("title") or "")
    answers = response.get("answers") or []
    if not isinstance(answers, list):
        raise PayloadError("form_response.answers must be a list")
    out = []
    for index, answer in enumerate(answers):
        where = f"form_response.answers[{index}]"
        field = need(answer, "field", dict, where)
        value_type = need(answer, "type", str, where)
        field_id = str(field.get("id") or "")
        keys = (field_id, str(field.get("ref") or ""), titles.get(field_id, ""))
        out.append(
            Answer(
                keys=keys,
                kind=KINDS.get(str(field.get("type")), Kind.OTHER),
                value=_value(answer.get(value_type)),
            )
        )
    return out


def _value(value: Any) -> Any:
    """Choices come as {label}; lists of them as {labels}; everything else is plain."""
    if isinstance(value, dict):
        if "label" in value:
            return value["label"]
        if isinstance(value.get("labels"), list):
            return ", ".join(str(v) for v in value["labels"])
    return value


def _fields(response: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    hidden = response.get("hidden")
    if isinstance(hidden, dict):
        fields.update({str(k): v for k, v in hidden.items() if isinstance(v, str | int | float)})
    variables = response.get("variables")
    if isinstance(variables, list):
        for item in variables:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                value = item.get(str(item.get("type")))
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    fields.setdefault(item["key"], value)
    return fields
