"""Signature checks shared by adapters: HMAC over raw bytes, constant-time, any active secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from services.ingest.sources.base import SignatureError, SourceAdapter

if TYPE_CHECKING:
    from services.ingest.sources.config import SourceConfig

DEFAULT_TOLERANCE_S = 300  # Standard Webhooks' recommended five minutes


def header(headers: Mapping[str, str], name: str) -> str:
    """Return a required header or raise SignatureError naming it."""
    value = headers.get(name)
    if not value:
        raise SignatureError(f"missing {name} header")
    return value.strip()


def digest(key: bytes, message: bytes, algorithm: str = "sha256") -> bytes:
    """HMAC of message with key."""
    return hmac.new(key, message, getattr(hashlib, algorithm)).digest()


def matches_any(given: bytes, candidates: Iterable[bytes]) -> bool:
    """Compare in constant time against every candidate (no early exit on a match)."""
    found = False
    for candidate in candidates:
        found |= hmac.compare_digest(given, candidate)
    return found


def require_secrets(secrets: Sequence[str], source_name: str) -> Sequence[str]:
    """Refuse to verify with no secret configured: such a source accepts nothing."""
    if not secrets:
        raise SignatureError(f"source {source_name!r} has no signing secret configured")
    return secrets


def b64decode(text: str) -> bytes:
    """Decode standard base64 or raise SignatureError."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("signature is not valid base64") from exc


def hexdecode(text: str) -> bytes:
    """Decode hex or raise SignatureError."""
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise SignatureError("signature is not valid hex") from exc


DECODERS: dict[str, Callable[[str], bytes]] = {"base64": b64decode, "hex": hexdecode}


def expect_hmac(
    given: bytes, message: bytes, keys: Iterable[bytes], *, what: str, algorithm: str = "sha256"
) -> None:
    """Raise SignatureError unless `given` is the HMAC of message under one of the keys."""
    if not matches_any(given, [digest(key, message, algorithm) for key in keys]):
        raise SignatureError(f"{what} does not match a configured secret")


def verify_header_hmac(
    message: bytes,
    headers: Mapping[str, str],
    source: SourceConfig,
    *,
    name: str,
    encoding: str,
    prefix: str = "",
    prefix_optional: bool = False,
) -> None:
    """Check the common scheme: header `name` = prefix + encoded HMAC-SHA256 of the message.

    The message is the raw body (or, with a timestamp, the bytes the vendor documents); each of
    the source's active secrets is tried, so a rotated secret keeps working until it is removed.
    """
    secrets = require_secrets(source.secrets, source.name)
    value = header(headers, name)
    if value.startswith(prefix):
        value = value.removeprefix(prefix)
    elif not prefix_optional:
        raise SignatureError(f"{name} must be '{prefix}<{encoding}>'")
    if not value:
        raise SignatureError(f"{name} carries no signature")
    given = DECODERS[encoding](value)
    expect_hmac(given, message, [secret.encode() for secret in secrets], what=name)


def check_timestamp(raw: str, now: datetime, tolerance_s: int = DEFAULT_TOLERANCE_S) -> int:
    """Parse a Unix-seconds timestamp and refuse one too far from now (replays, clock games)."""
    try:
        stamp = int(raw)
    except ValueError as exc:
        raise SignatureError("timestamp is not an integer number of seconds") from exc
    if abs(now.timestamp() - stamp) > tolerance_s:
        raise SignatureError(f"timestamp is more than {tolerance_s} s from the server's clock")
    return stamp


def standard_webhooks_key(secret: str) -> bytes:
    """Decode a Standard Webhooks secret: `whsec_` then base64 of the key bytes."""
    text = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("configured secret is not a whsec_<base64> secret") from exc


def verify_standard_webhooks(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> str:
    """Verify the Standard Webhooks scheme; return the webhook-id (the idempotency key).

    signed content = "{webhook-id}.{webhook-timestamp}.{body}"; each space-separated
    `v1,<base64 HMAC-SHA256>` in webhook-signature is tried against each secret.
    """
    msg_id = header(headers, "webhook-id")
    stamp = header(headers, "webhook-timestamp")
    signatures = header(headers, "webhook-signature")
    check_timestamp(stamp, now, tolerance_s)
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = [digest(standard_webhooks_key(s), signed) for s in secrets]
    given = []
    for item in signatures.split():
        version, _, value = item.partition(",")
        if version == "v1" and value:
            given.append(value)
    if not given:
        raise SignatureError("webhook-signature has no v1 signature")
    found = False
    for value in given:
        try:
            found |= matches_any(base64.b64decode(value, validate=True), expected)
        except (binascii.Error, ValueError):
            continue
    if not found:
        raise SignatureError("no webhook-signature matches a configured secret")
    return msg_id


class HeaderSigned(SourceAdapter):
    """The base of adapters whose vendor puts an HMAC-SHA256 of the raw body in one header."""

    signature_header: ClassVar[str]
    encoding: ClassVar[str] = "base64"
    prefix: ClassVar[str] = ""

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Check the header against the HMAC of the raw body under each active secret."""
        verify_header_hmac(
            body,
            headers,
            source,
            name=self.signature_header,
            encoding=self.encoding,
            prefix=self.prefix,
        )
