"""Digests sent on a schedule to a team or an owner, one row per target and day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, JSONType, SendState


class DigestSend(SendState, Base):
    """One digest to one target; its unique key makes a second beat or a redelivery a no-op.

    `key` names the audience, period and local day (`team:delivery:daily:2026-11-30`), so a
    digest is claimed once however often the beat asks which digests are due.
    """

    __tablename__ = "digest_sends"
    __table_args__ = (
        UniqueConstraint("key", "channel", "target", name="uq_digest_sends_key"),
        Index("ix_digest_sends_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(10))  # "team" or "owner"
    team: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(Integer)  # the owner, for an owner's digest
    period: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime]
    until: Mapped[datetime]
    # The desk's composed Digest (shared.digests.to_json), and when the notifier gives up on it.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    expires_at: Mapped[datetime | None]
