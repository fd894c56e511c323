"""Tally: `Tally-Signature: <base64 HMAC-SHA256 of the raw body>` with the webhook's secret.

Payload (`eventType: FORM_RESPONSE`): `data.responseId`, `data.createdAt` and `data.fields[]`
of `{key, label, type, value}`; hidden fields are fields of type HIDDEN_FIELDS.
See docs/sources/tally.md.
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
    SignatureError,
    SourceAdapter,
    Submission,
    load_json,
    need,
    parse_time,
    register,
)
from services.ingest.sources.config import SourceConfig

HEADER = "Tally-Signature"
KINDS = {
    "LINEAR_SCALE": Kind.SCALE,
    "RATING": Kind.RATING,
    "TEXTAREA": Kind.LONG_TEXT,
    "INPUT_TEXT": Kind.TEXT,
    "INPUT_EMAIL": Kind.EMAIL,
}
FIELD_TYPES = {"HIDDEN_FIELDS", "CALCULATED_FIELDS"}


@register
class Tally(SourceAdapter):
    type = "tally"
    label = "Tally"

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check the base64 HMAC-SHA256 of the raw body against each active secret."""
        secrets = signing.require_secrets(source.secrets, source.name)
        given = signing.b64decode(signing.header(headers, HEADER))
        if not signing.matches_any(given, [signing.digest(s.encode(), body) for s in secrets]):
            raise SignatureError(f"{HEADER} does not match a configured secret")

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a FORM_RESPONSE event; other event types are acknowledged and ignored."""
        payload = load_json(body)
        event_type = need(payload, "eventType", str, "body")
        event_id = payload.get("eventId") if isinstance(payload.get("eventId"), str) else None
        if event_type != "FORM_RESPONSE":
            return ParseResult(
                event_id=event_id, ignored=f"event type {event_type!r}", payload=payload
            )
        data = need(payload, "data", dict, "body")
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
        return ParseResult(event_id=event_id, submissions=(submission,), payload=payload)


def _value(item: dict[str, Any]) -> Any:
    """Choice fields carry option ids; show the chosen options' texts instead."""
    value = item.get("value")
    options = item.get("options")
    if isinstance(value, list) and isinstance(options, list):
        texts = {o.get("id"): o.get("text") for o in options if isinstance(o, dict)}
        return ", ".join(str(texts.get(v, v)) for v in value)
    return value
