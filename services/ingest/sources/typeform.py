"""Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>`, JSON body.

Payload (`event_type: form_response`): `form_response.token` is the response id,
`answers[]` carry `field {id, ref, type}` and a value under the key named by `type`,
`definition.fields[]` give titles, `hidden` the hidden fields. See docs/sources/typeform.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.sources.base import (
    Answer,
    Kind,
    ParseResult,
    PayloadError,
    Submission,
    need,
    parse_time,
    read_event,
    register,
)
from services.ingest.sources.config import SourceConfig
from services.ingest.sources.signing import HeaderSigned

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
class Typeform(HeaderSigned):
    type = "typeform"
    label = "Typeform"
    signature_header = "Typeform-Signature"
    encoding = "base64"
    prefix = "sha256="

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a form_response event; other event types are acknowledged and ignored."""
        event = read_event(
            body, type_key="event_type", id_key="event_id", responses=RESPONSE_EVENTS
        )
        if not event.is_response:
            return event.ignored()
        response = need(event.payload, "form_response", dict, "body")
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
        return event.accepted(submission)


def _answers(response: dict[str, Any]) -> list[Answer]:
    definition = response.get("definition")
    titles: dict[str, str] = {}
    scales: dict[str, tuple[int, int]] = {}
    if isinstance(definition, dict) and isinstance(definition.get("fields"), list):
        for item in definition["fields"]:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                titles[item["id"]] = str(item.get("title") or "")
                scale = _scale(item)
                if scale is not None:
                    scales[item["id"]] = scale
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
                scale=scales.get(field_id),
            )
        )
    return out


def _scale(field: dict[str, Any]) -> tuple[int, int] | None:
    """An opinion scale's range: `steps` points from 0, or from 1 with `start_at_one`."""
    properties = field.get("properties")
    if field.get("type") != "opinion_scale" or not isinstance(properties, dict):
        return None
    steps = properties.get("steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 2 <= steps <= 11:
        return None
    low = 1 if properties.get("start_at_one") is True else 0
    return (low, low + steps - 1)


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
