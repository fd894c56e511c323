"""A digest as the desk composes it and the notifier renders it, and the rows both share.

The desk plans: it stores one `digest_sends` row per digest and target with the composed
`Digest` as JSON. The notifier sends: it reads the row, renders the content for its channel and
records the outcome. Neither imports the other; this module is where they meet.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from shared.enums import DeliveryStatus
from shared.models import DigestSend

OWNER_GONE = "the owner is no longer an active desk user"
BATCH = 500


@dataclass(frozen=True)
class Line:
    """One labelled figure or item; `url` links it (a case, the queue) when set."""

    label: str
    value: str
    url: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and its lines; `empty` says what it means when there are none."""

    title: str
    lines: tuple[Line, ...]
    empty: str = ""


@dataclass(frozen=True)
class Digest:
    """One digest, ready to render: a title, the span it covers, its sections and links."""

    title: str
    span: str
    summary: str  # one line: email subject, Slack notification text
    sections: tuple[Section, ...]
    desk_url: str


def to_json(digest: Digest) -> dict[str, Any]:
    """The digest as a JSON-ready dict, as stored on its rows."""
    return asdict(digest)


def from_json(data: dict[str, Any]) -> Digest:
    """Rebuild a digest stored by `to_json`."""
    sections = tuple(
        Section(s["title"], tuple(Line(**line) for line in s["lines"]), s["empty"])
        for s in data["sections"]
    )
    return Digest(data["title"], data["span"], data["summary"], sections, data["desk_url"])


def due_sends(session: Session, *, now: datetime, grace: timedelta) -> list[int]:
    """Rows to (re-)enqueue: pending past their due time and grace, or a lapsed lease."""
    return list(
        session.scalars(
            select(DigestSend.id)
            .where(
                or_(
                    and_(DigestSend.status == DeliveryStatus.PENDING,
                         DigestSend.due_at <= now - grace),
                    and_(DigestSend.status == DeliveryStatus.SENDING,
                         DigestSend.lease_until < now),
                )
            )
            .order_by(DigestSend.id)
            .limit(BATCH)
        )
    )  # fmt: skip


def drop_owner_sends(session: Session, *, user_id: int) -> None:
    """Fail an owner's digests not yet claimed: a disabled owner gets no more digests."""
    session.execute(
        update(DigestSend)
        .where(DigestSend.user_id == user_id, DigestSend.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, last_error=OWNER_GONE)
        .execution_options(synchronize_session=False)
    )
