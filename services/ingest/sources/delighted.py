"""Delighted: `X-Delighted-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.

Payload: `{event_type, event_id, event_data}`; `survey_response.created` comes when a score is
given and `survey_response.updated` when the comment follows, both for the same `event_data.id`,
so the second updates the first. `unsubscribe.created` is acknowledged and ignored.
See docs/sources/delighted.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from services.ingest.sources.base import (
    Answer,
    Kind,
    ParseResult,
    PayloadError,
    Submission,
    need,
    obj,
    read_event,
    register,
)
from services.ingest.sources.config import SourceConfig
from services.ingest.sources.signing import HeaderSigned

RESPONSE_EVENTS = {"survey_response.created", "survey_response.updated"}
SCORE_BY_SURVEY_TYPE = {
    "nps": "nps",
    "csat": "csat",
    "ces": "ces",
    "smileys": "csat",
    "5star": "csat",
}
ANSWER_KINDS = {"free_response": Kind.LONG_TEXT, "scale": Kind.SCALE}


@register
class Delighted(HeaderSigned):
    type = "delighted"
    label = "Delighted"
    ces_scale = "agreement"  # "[Company] made it easy...": 7 strongly agree
    signature_header = "X-Delighted-Webhook-Signature"
    encoding = "hex"
    prefix = "sha256="

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a survey_response event; others are acknowledged and ignored."""
        event = read_event(
            body, type_key="event_type", id_key="event_id", responses=RESPONSE_EVENTS
        )
        if not event.is_response:
            return event.ignored()
        data = need(event.payload, "event_data", dict, "body")
        response_id = need(data, "id", (str, int), "event_data")
        created = _unix(data.get("created_at"), "event_data.created_at")
        person = obj(data, "person")
        properties = data.get("person_properties")
        score_name = SCORE_BY_SURVEY_TYPE.get(str(data.get("survey_type")))
        comment = data.get("comment")
        submission = Submission(
            response_id=str(response_id),
            submitted_at=created,
            answers=tuple(_additional(data.get("additional_answers"))),
            fields=dict(properties) if isinstance(properties, dict) else {},
            respondent={
                k: person.get(k)
                for k in ("id", "email", "name")
                if isinstance(person.get(k), str | int)
            },
            scores={score_name: data.get("score")} if score_name else {},
            comment=comment if isinstance(comment, str) else None,
            version=_unix(
                data.get("updated_at") or data.get("created_at"), "event_data.updated_at"
            ),
        )
        return event.accepted(submission)


def _unix(value: Any, where: str) -> datetime:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**37:
        return datetime.fromtimestamp(value, UTC)
    raise PayloadError(f"{where} is not a Unix timestamp")


def _additional(items: Any) -> list[Answer]:
    answers = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        question = obj(item, "question")
        value = obj(item, "value")
        kind = str(question.get("type"))
        raw = value.get(kind)
        if isinstance(raw, dict):
            raw = raw.get("text")
        elif isinstance(raw, list):
            raw = ", ".join(str(c.get("text")) for c in raw if isinstance(c, dict))
        keys = (str(question.get("id") or ""), str(question.get("text") or ""))
        answers.append(Answer(keys=keys, kind=ANSWER_KINDS.get(kind, Kind.OTHER), value=raw))
    return answers
