"""The follow-up tables: one follow-up per case, and what each customer said about being asked."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models import Base, utcnow


class FollowUpStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for its due time
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"  # the question is out; the answer page accepts one answer
    ANSWERED = "answered"
    SKIPPED = "skipped"  # not asked, and `reason` says why (opted out, asked recently...)
    FAILED = "failed"  # the channel refused it for good


class FollowUp(Base):
    """The "did we fix it?" question of one case; its unique case id makes it one per case."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("case_id", name="uq_follow_ups_case_id"),
        Index("ix_follow_ups_status_due", "status", "due_at"),
        Index("ix_follow_ups_created", "created_at"),  # the recovery KPIs' period bound
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=FollowUpStatus.SCHEDULED)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    target: Mapped[str | None] = mapped_column(String(320))
    scale: Mapped[str] = mapped_column(String(10), default="0-10")
    # Whether the case's own response was a detractor or dissatisfied: recovery counts these.
    detractor: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_attempt_at: Mapped[datetime | None]  # the retry budget counts from here
    last_error: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(Integer)
    # Judged with the threshold of the day it was answered, so a later config keeps history.
    satisfied: Mapped[bool | None] = mapped_column(Boolean)


class FollowUpCustomer(Base):
    """One customer as follow-ups know them: opted out, and when last asked.

    `key` is `email:<address>` or `respondent:<source>:<id>`; a customer may have both rows.
    """

    __tablename__ = "follow_up_customers"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    opted_out_at: Mapped[datetime | None]
    last_asked_at: Mapped[datetime | None]
    last_follow_up_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
