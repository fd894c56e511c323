"""Tally: `Tally-Signature: <base64 HMAC-SHA256 of the raw body>` with the webhook's secret.

Payload (`eventType: FORM_RESPONSE`): `data.responseId`, `data.createdAt` and `data.fields[]`
of `{key, label, type, value}`; hidden fields are fields of type HIDDEN_FIELDS.
See docs/sources/tally.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.sources.base import (
    Answer,
    Kind,
    ParseResult,
    Submission,
    need,
    parse_time,
    read_event,
    register,
)
from services.ingest.sources.config import SourceConfig
from services.ingest.sources.signing import HeaderSigned

KINDS = {
    "LINEAR_SCALE": Kind.SCALE,
    "RATING": Kind.RATING,
    "TEXTAREA": Kind.LONG_TEXT,
    "INPUT_TEXT": Kind.TEXT,
    "INPUT_EMAIL": Kind.EMAIL,
}
FIELD_TYPES = {"HIDDEN_FIELDS", "CALCULATED_FIELDS"}


@register
class Tally(HeaderSigned):
    type = "tally"
    label = "Tally"
    signature_header = "Tally-Signature"
    encoding = "base64"

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a FORM_RESPONSE event; other event types are acknowledged and ignored."""
        event = read_event(
            body, type_key="eventType", id_key="eventId", responses={"FORM_RESPONSE"}
        )
        if not event.is_response:
            return event.ignored()
        data = need(event.payload, "data", dict, "body")
        response_id = need(data, "responseId", str, "data")
        submitted = parse_time(data.get("createdAt"), "data.createdAt")
        answers, fields = [], {}
        for index, item in enumerate(need(data, "fields", list, "data")):
            where = f"data.fields[{index}]"
            kind = need(item, "type", str, where)
            label = str(item.get("label") or "")
            value = _value(item)
            if kind in FIELD_TYPES:
                if label and isinstance(value, str | int | float):
                    fields[label] = value
                continue
            keys = (str(item.get("key") or ""), label)
            answers.append(Answer(keys=keys, kind=KINDS.get(kind, Kind.OTHER), value=value))
        submission = Submission(
            response_id=response_id,
            submitted_at=submitted,
            answers=tuple(answers),
            fields=fields,
            version=submitted,
        )
        return event.accepted(submission)


def _value(item: dict[str, Any]) -> Any:
    """Choice fields carry option ids; show the chosen options' texts instead."""
    value = item.get("value")
    options = item.get("options")
    if isinstance(value, list) and isinstance(options, list):
        texts = {o.get("id"): o.get("text") for o in options if isinstance(o, dict)}
        return ", ".join(str(texts.get(v, v)) for v in value)
    return value
