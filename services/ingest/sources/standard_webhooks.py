"""Standard Webhooks (standardwebhooks.com) carrying cxloop's generic response as the body.

Headers `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (several may be
space-separated); signed content `{id}.{timestamp}.{body}`; secret `whsec_<base64>`;
timestamps more than five minutes off are refused. See docs/sources/standard-webhooks.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.ingest.sources import signing
from services.ingest.sources.base import (
    ParseResult,
    PayloadError,
    SourceAdapter,
    load_json,
    register,
)
from services.ingest.sources.config import SourceConfig


def verify_standard(
    body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
) -> str:
    """Verify a Standard Webhooks request for a source; return its webhook-id."""
    secrets = signing.require_secrets(source.secrets, source.name)
    tolerance = int(source.options.get("tolerance_s", signing.DEFAULT_TOLERANCE_S))
    return signing.verify_standard_webhooks(body, headers, secrets, now, tolerance)


def generic_items(payload: Any, source: SourceConfig) -> tuple[dict[str, Any], ...]:
    """Accept one generic response or {"responses": [...]}; the source is the endpoint's."""
    items = (
        payload.get("responses")
        if isinstance(payload, dict) and "responses" in payload
        else [payload]
    )
    if not isinstance(items, list) or not items:
        raise PayloadError('expected a response object or {"responses": [...]}')
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PayloadError(f"responses[{index}] must be an object")
        given = item.get("source", source.name)
        if given != source.name:
            raise PayloadError(f"responses[{index}].source must be {source.name!r} here")
        out.append({**item, "source": source.name})
    return tuple(out)


class StandardSigned(SourceAdapter):
    """The base of every adapter whose requests are signed with the Standard Webhooks scheme."""

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check webhook-signature over id, timestamp and raw body, within the tolerance."""
        verify_standard(body, headers, source, now)


@register
class StandardWebhooks(StandardSigned):
    type = "standard_webhooks"
    label = "Standard Webhooks"

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """The body is already in cxloop's generic form."""
        payload = load_json(body)
        return ParseResult(
            event_id=headers.get("webhook-id"),
            generic=generic_items(payload, source),
            payload=payload,
        )
