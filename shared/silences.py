"""Silences, as in Alertmanager: label matchers with an expiry that stop paging, never counting.

A case whose routing labels match an active silence is opened, listed in the queue and counted
in the KPIs like any other; only its alerts are not created, and its timeline says which silence
held them. The desk, the API and `cxloop silence` create, list and expire them; the router
applies them. The row is the audit: who created it and why, who expired it early and when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.orm import Session

from shared.matchers import Matcher, parse_matcher
from shared.models import Silence, UTCDateTime

MAX_MATCHERS = 20
MAX_DURATION = timedelta(days=365)


class SilenceState(StrEnum):
    PENDING = "pending"  # starts later
    ACTIVE = "active"
    EXPIRED = "expired"


class SilenceError(ValueError):
    """A silence that cannot be created or expired; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_matchers(texts: Sequence[str]) -> tuple[Matcher, ...]:
    """Parse and check the matchers of a silence.

    Like amtool, a silence must name something: at least one matcher must not match a missing
    label, or one silence would mute every case.
    """
    if not texts:
        raise SilenceError("matchers", "at least one matcher is required")
    if len(texts) > MAX_MATCHERS:
        raise SilenceError("matchers", f"at most {MAX_MATCHERS} matchers")
    try:
        matchers = tuple(parse_matcher(t) for t in texts)
    except ValueError as exc:
        raise SilenceError("matchers", str(exc)) from None
    if all(m.matches({}) for m in matchers):
        raise SilenceError(
            "matchers", "these matchers match every case; at least one must name a label value"
        )
    return matchers


@dataclass(frozen=True)
class NewSilence:
    """What a person asks for; `starts_at` defaults to now."""

    matchers: tuple[str, ...]
    ends_at: datetime
    comment: str
    created_by: str
    starts_at: datetime | None = None


def create(session: Session, new: NewSilence, *, now: datetime) -> Silence:
    """Validate and add a silence (the caller commits); raise SilenceError naming the field."""
    matchers = parse_matchers(new.matchers)
    starts = new.starts_at or now
    if not new.comment.strip():
        raise SilenceError("comment", "say why: a silence without a reason cannot be reviewed")
    if new.ends_at <= max(starts, now):
        raise SilenceError("ends_at", "must be in the future and after starts_at")
    if new.ends_at - starts > MAX_DURATION:
        raise SilenceError("ends_at", "a silence lasts at most 365 days")
    silence = Silence(
        matchers={"matchers": [str(m) for m in matchers]}, starts_at=starts, ends_at=new.ends_at,
        comment=new.comment.strip(), created_by=new.created_by, created_at=now,
    )  # fmt: skip
    session.add(silence)
    session.flush()
    return silence


def expire(session: Session, silence_id: int, *, by: str, now: datetime) -> Silence:
    """End a silence now (the caller commits); expiring an expired one changes nothing."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise LookupError(f"no silence #{silence_id}")
    if state(silence, now) is not SilenceState.EXPIRED:
        silence.expired_at, silence.expired_by = now, by
    return silence


def state(silence: Silence, now: datetime) -> SilenceState:
    """Pending, active or expired at `now`."""
    if silence.expired_at is not None or silence.ends_at <= now:
        return SilenceState.EXPIRED
    return SilenceState.PENDING if silence.starts_at > now else SilenceState.ACTIVE


def listed(session: Session, *, now: datetime, include_expired: bool = False) -> list[Silence]:
    """Silences newest first; only those not yet over unless `include_expired`."""
    query = select(Silence).order_by(Silence.id.desc())
    if not include_expired:
        query = query.where(Silence.expired_at.is_(None), Silence.ends_at > now)
    return list(session.scalars(query.limit(1000)))


def silencing(session: Session, labels: Mapping[str, str], *, now: datetime) -> Row[Any] | None:
    """Return the oldest active silence whose matchers all hold for these labels, if any: its
    id, matchers, comment, creator and end (Core, not the ORM: the router asks for every case)."""
    return first_matching(active(session, now=now), labels)


def active(session: Session, *, now: datetime) -> list[Row[Any]]:
    """The silences in force at `now`, oldest first (read once for a batch of cases)."""
    return list(session.connection().execute(_ACTIVE, {"at": now}))


def first_matching(silences: Sequence[Row[Any]], labels: Mapping[str, str]) -> Row[Any] | None:
    """The first of these silences whose matchers all hold for these labels, if any."""
    for silence in silences:
        if all(parse_matcher(m).matches(labels) for m in silence.matchers["matchers"]):
            return silence
    return None


_AT = bindparam("at", type_=UTCDateTime())
# Built once: the router asks for every case it opens.
_ACTIVE = (
    select(Silence.id, Silence.matchers, Silence.comment, Silence.created_by, Silence.ends_at)
    .where(Silence.starts_at <= _AT, Silence.ends_at > _AT)
    .where(or_(Silence.expired_at.is_(None), Silence.expired_at > _AT))
    .order_by(Silence.id)
)
