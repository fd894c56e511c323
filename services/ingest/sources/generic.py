"""Generic signed JSON: hex HMAC-SHA256 of the raw body in a header, optionally timestamped.

Options: `signature_header` (default X-Cxloop-Signature; a `sha256=` prefix is accepted),
`timestamp_header` (if set, required: the signed bytes become `{timestamp}.{body}` and
timestamps more than `tolerance_s`, default 300 s, off are refused). The body is cxloop's
generic response, one or {"responses": [...]}. See docs/sources/generic.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.ingest.sources import signing
from services.ingest.sources.base import (
    ParseResult,
    SourceAdapter,
    load_json,
    register,
)
from services.ingest.sources.config import SourceConfig
from services.ingest.sources.standard_webhooks import generic_items

DEFAULT_HEADER = "X-Cxloop-Signature"


@register
class Generic(SourceAdapter):
    type = "generic"
    label = "Generic signed JSON"

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check the hex HMAC-SHA256 of the (timestamped) raw body against each secret."""
        signed = body
        stamp_header = source.options.get("timestamp_header")
        if stamp_header:
            stamp = signing.header(headers, str(stamp_header))
            tolerance = int(source.options.get("tolerance_s", signing.DEFAULT_TOLERANCE_S))
            signing.check_timestamp(stamp, now, tolerance)
            signed = stamp.encode() + b"." + body
        signing.verify_header_hmac(
            signed,
            headers,
            source,
            name=str(source.options.get("signature_header", DEFAULT_HEADER)),
            encoding="hex",
            prefix="sha256=",
            prefix_optional=True,
        )

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """The body is already in cxloop's generic form."""
        payload = load_json(body)
        return ParseResult(generic=generic_items(payload, source), payload=payload)
