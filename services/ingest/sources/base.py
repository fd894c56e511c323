"""The adapter interface every survey source implements, and the registry keyed by type."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from shared.inputs import MAX_DEPTH, too_deep

if TYPE_CHECKING:
    from services.ingest.sources.config import SourceConfig


class SignatureError(Exception):
    """The request is not signed by the vendor: answered 401 and stored nowhere."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PayloadError(Exception):
    """A correctly signed body that is not the vendor's documented format: answered 400."""


class FetchError(Exception):
    """Fetching a thin event's full response from the vendor's API failed."""


class TransientFetchError(FetchError):
    """Worth retrying: timeout, connection error, 5xx, 429."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """Retrying will not help: bad token, unknown response, a body we cannot read."""


class Kind(StrEnum):
    """What a question is, as far as default mapping cares."""

    NPS = "nps"
    SCALE = "scale"  # opinion / linear scale
    RATING = "rating"  # stars, smileys
    LONG_TEXT = "long_text"
    TEXT = "text"
    EMAIL = "email"
    OTHER = "other"


@dataclass(frozen=True)
class Answer:
    """One answer, named by every identifier a mapping may use (id, ref, title)."""

    keys: tuple[str, ...]
    kind: Kind
    value: Any
    scale: tuple[int, int] | None = None  # lowest and highest point, when the vendor says


@dataclass(frozen=True)
class Submission:
    """A vendor response in vendor-neutral terms, before the source's mapping is applied."""

    response_id: str
    submitted_at: datetime
    answers: tuple[Answer, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)  # hidden fields, embedded data...
    respondent: Mapping[str, Any] = field(default_factory=dict)  # id, email, name
    scores: Mapping[str, Any] = field(default_factory=dict)  # scores the vendor states directly
    comment: str | None = None  # a comment the vendor states directly
    version: datetime | None = None  # when the vendor last changed it; older events are stale


@dataclass(frozen=True)
class Thin:
    """A thin event: only ids; the full response is fetched later from the vendor's API."""

    response_id: str
    occurred_at: datetime
    ref: Mapping[str, Any]  # what `fetch` needs (survey id, response id...)


@dataclass(frozen=True)
class ParseResult:
    """What one webhook request carried: responses, a thin event, or nothing to store."""

    event_id: str | None = None
    submissions: tuple[Submission, ...] = ()
    generic: tuple[dict[str, Any], ...] = ()  # already in the generic form (signed JSON sources)
    thin: Thin | None = None
    ignored: str | None = None  # why nothing is stored (a ping, another event type)
    reply: Mapping[str, Any] | None = None  # the body the vendor expects for an ignored event
    payload: Any = None  # the parsed body, kept as the raw record


@dataclass(frozen=True)
class Event:
    """A JSON event body read far enough to know its type, its id and whether it is a response."""

    payload: Any
    type: str
    id: str | None
    is_response: bool

    def ignored(self) -> ParseResult:
        """Acknowledge an event that carries no response (a ping, another event type)."""
        return ParseResult(
            event_id=self.id, ignored=f"event type {self.type!r}", payload=self.payload
        )

    def accepted(self, *submissions: Submission, thin: Thin | None = None) -> ParseResult:
        """The result for a response event: its submissions, or the thin event to fetch."""
        return ParseResult(
            event_id=self.id, submissions=submissions, thin=thin, payload=self.payload
        )


def read_event(
    body: bytes,
    *,
    type_key: str,
    responses: Collection[str],
    id_key: str | None = None,
    event_id: str | None = None,
) -> Event:
    """Parse a JSON event; its id is body[id_key] if the vendor puts it there, else `event_id`."""
    payload = load_json(body)
    event_type = need(payload, type_key, str, "body")
    if id_key is not None:
        given = payload.get(id_key)
        valid = isinstance(given, str | int) and not isinstance(given, bool)
        event_id = str(given) if valid else None
    return Event(payload, event_type, event_id, event_type in responses)


class SourceAdapter:
    """One vendor: verify its signature over raw bytes, parse its payload, fetch thin events."""

    type: ClassVar[str]
    label: ClassVar[str]
    thin: ClassVar[bool] = False
    ces_scale: ClassVar[str] = "effort"  # how the vendor's CES question reads by default

    def verify(
        self, body: bytes, headers: Mapping[str, str], source: SourceConfig, now: datetime
    ) -> None:
        """Raise SignatureError unless one of the source's secrets signed this request."""
        raise NotImplementedError

    def parse(self, body: bytes, headers: Mapping[str, str], source: SourceConfig) -> ParseResult:
        """Read a verified body; raise PayloadError if it is not the vendor's format."""
        raise NotImplementedError

    def handshake(self, method: str, args: Mapping[str, str]) -> tuple[dict[str, Any], int]:
        """Answer a HEAD/GET URL check made when the webhook is created."""
        return {"status": "ready", "source_type": self.type}, 200

    def ping(self, body: bytes) -> str | None:
        """Name a content-free endpoint test some vendors POST before a secret exists, or None.

        Such a request is answered 200 before the signature check and stores nothing, so it
        cannot carry data past the check; everything else is verified as usual.
        """
        return None

    def fetch(self, ref: Mapping[str, Any], source: SourceConfig, timeout: float) -> Submission:
        """Fetch a thin event's full response from the vendor's API."""
        raise PermanentFetchError(f"{self.type} sources do not fetch responses")


REGISTRY: dict[str, SourceAdapter] = {}  # filled by `register`; read through sources.registry


def register(cls: type[SourceAdapter]) -> type[SourceAdapter]:
    """Class decorator: make an adapter available under its type name."""
    REGISTRY[cls.type] = cls()
    return cls


def load_json(body: bytes) -> Any:
    """Parse a JSON body or raise PayloadError with the parser's reason."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"malformed JSON: {exc}") from exc
    if too_deep(value):
        raise PayloadError(f"JSON nested more than {MAX_DEPTH} levels deep")
    return value


def need(mapping: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return mapping[key] if it has the expected type, else raise PayloadError naming it."""
    if not isinstance(mapping, dict):
        raise PayloadError(f"{where} must be an object")
    value = mapping.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        raise PayloadError(f"{where}.{key} is missing or not a {_names(kind)}")
    return value


def obj(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    """Return mapping[key] if it is an object, else an empty one (optional nested objects)."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kind))


def parse_time(value: Any, where: str) -> datetime:
    """Read an ISO-8601 timestamp with a zone (Z allowed) or raise PayloadError."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise PayloadError(f"{where} is not an ISO-8601 timestamp with a time zone")
