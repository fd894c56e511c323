"""Google Forms, through the Apps Script in deploy/google-forms/Code.gs (Forms has no webhook).

The script posts on form submit, signed with the Standard Webhooks scheme (webhook-id is the
form response id, so its retries are harmless). Body:
`{"type": "form_response", "form": {id, title}, "response": {id, submitted_at,
respondent_email, answers: [{item_id, title, type, value}]}}` where `type` is the Apps Script
ItemType name (SCALE, RATING, PARAGRAPH_TEXT, TEXT...). See docs/sources/google-forms.md.
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
from services.ingest.sources.standard_webhooks import StandardSigned

KINDS = {
    "SCALE": Kind.SCALE,
    "RATING": Kind.RATING,
    "PARAGRAPH_TEXT": Kind.LONG_TEXT,
    "TEXT": Kind.TEXT,
}


@register
class GoogleForms(StandardSigned):  # the Apps Script signs with the Standard Webhooks scheme
    type = "google_forms"
    label = "Google Forms"

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read the script's form_response payload; anything else is acknowledged."""
        event = read_event(
            body, type_key="type", responses={"form_response"}, event_id=headers.get("webhook-id")
        )
        if not event.is_response:
            return event.ignored()
        response = need(event.payload, "response", dict, "body")
        answers = []
        for index, item in enumerate(need(response, "answers", list, "response")):
            where = f"response.answers[{index}]"
            item_type = need(item, "type", str, where)
            keys = (str(item.get("item_id") or ""), str(item.get("title") or ""))
            answers.append(
                Answer(
                    keys=keys,
                    kind=KINDS.get(item_type, Kind.OTHER),
                    value=_value(item.get("value")),
                    scale=_scale(item.get("scale")),
                )
            )
        email = response.get("respondent_email")
        submitted = parse_time(response.get("submitted_at"), "response.submitted_at")
        submission = Submission(
            response_id=need(response, "id", str, "response"),
            submitted_at=submitted,
            answers=tuple(answers),
            respondent={"email": email} if isinstance(email, str) and email else {},
            version=submitted,
        )
        return event.accepted(submission)


def _scale(value: Any) -> tuple[int, int] | None:
    """The [lower, upper] bounds the Apps Script sends for a SCALE item."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return (value[0], value[1])
    return None


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value
