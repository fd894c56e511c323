"""Formbricks: Standard Webhooks signing; events responseCreated, responseUpdated, responseFinished.

All three carry the same `data.id`, so later events update the stored response. `data.data` maps
question (and hidden field) ids to values; it carries no question types, so a mapping naming
the question ids is recommended (defaults: an id containing "nps" is the NPS, a free text of
several words the comment). See docs/sources/formbricks.md.
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
    load_json,
    need,
    obj,
    parse_time,
    register,
)
from services.ingest.sources.config import SourceConfig
from services.ingest.sources.standard_webhooks import StandardSigned

RESPONSE_EVENTS = {"responseCreated", "responseUpdated", "responseFinished"}
PING = {"event": "testEndpoint"}
LONG_TEXT_MIN = 20


@register
class Formbricks(StandardSigned):  # Formbricks signs with the Standard Webhooks scheme
    type = "formbricks"
    label = "Formbricks"

    def ping(self, body: bytes) -> str | None:
        """Formbricks' "test endpoint" POST, `{"event": "testEndpoint"}` and nothing else.

        Formbricks sends it while the webhook is being created, signed (if at all) with a
        secret it generates at that moment, which cxloop cannot know yet.
        """
        try:
            return "Formbricks endpoint test" if load_json(body) == PING else None
        except PayloadError:
            return None

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read response events (one object, or a list as in Formbricks' examples)."""
        payload = load_json(body)
        events = payload if isinstance(payload, list) else [payload]
        submissions, ignored = [], []
        for index, event in enumerate(events):
            kind = need(event, "event", str, f"events[{index}]")
            if kind not in RESPONSE_EVENTS:
                ignored.append(kind)
                continue
            submissions.append(_submission(need(event, "data", dict, f"events[{index}]")))
        if not submissions:
            return ParseResult(
                event_id=headers.get("webhook-id"),
                ignored=f"event type(s) {', '.join(map(repr, ignored)) or 'none'}",
                payload=payload,
            )
        return ParseResult(
            event_id=headers.get("webhook-id"), submissions=tuple(submissions), payload=payload
        )


def _kind(key: str, value: Any) -> Kind:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Kind.NPS if "nps" in key.casefold() else Kind.OTHER
    if isinstance(value, str) and len(value) >= LONG_TEXT_MIN and " " in value.strip():
        return Kind.LONG_TEXT
    return Kind.TEXT if isinstance(value, str) else Kind.OTHER


def _submission(data: dict[str, Any]) -> Submission:
    response_id = need(data, "id", str, "data")
    answers_in = data.get("data") or {}
    if not isinstance(answers_in, dict):
        raise PayloadError("data.data must be an object")
    answers = tuple(
        Answer(keys=(str(k),), kind=_kind(str(k), v), value=v) for k, v in answers_in.items()
    )
    fields: dict[str, Any] = {}
    for extra in ("contactAttributes", "variables"):
        if isinstance(data.get(extra), dict):
            fields.update(
                {
                    str(k): v
                    for k, v in data[extra].items()
                    if isinstance(v, str | int | float) and not isinstance(v, bool)
                }
            )
    contact = obj(data, "contact")
    return Submission(
        response_id=response_id,
        submitted_at=parse_time(data.get("createdAt"), "data.createdAt"),
        answers=answers,
        fields=fields,
        respondent={"id": contact["userId"]} if isinstance(contact.get("userId"), str) else {},
        version=parse_time(data.get("updatedAt") or data.get("createdAt"), "data.updatedAt"),
    )
