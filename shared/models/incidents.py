"""What shapes paging beyond one case: silences that mute it, incidents that group it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.enums import IncidentState
from shared.models.base import Base, utcnow


class Silence(Base):
    """Matchers with an expiry: matching cases are opened and counted, but nobody is paged.

    The row is its own audit: who created it and why, and who expired it early and when.
    """

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_ends", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column()  # {"matchers": ['touchpoint="checkout"']}
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expired_at: Mapped[datetime | None]
    expired_by: Mapped[str | None] = mapped_column(String(200))


class Incident(Base):
    """Cases alike in a grouped route's `group_by` labels: their owner is paged once for all.

    At most one incident per group key is open; its counters say what the last alert told.
    """

    __tablename__ = "incidents"
    __table_args__ = (
        Index(
            "uq_incidents_open_key", "group_key", unique=True,
            postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'"),
        ),
        Index("ix_incidents_state_flush_due", "state", "flush_due_at"),
        Index("ix_incidents_state_notified", "state", "notified_at"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64))
    route_path: Mapped[str] = mapped_column(String(500))
    receiver: Mapped[str] = mapped_column(String(100))
    # The group_by labels and values, in group_by order: {"group": [["touchpoint", "web"]]}
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default=IncidentState.OPEN)
    first_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)
    # The route's timers and the receiver's targets when the incident opened.
    wait_s: Mapped[float] = mapped_column(Float)
    interval_s: Mapped[float] = mapped_column(Float)
    repeat_s: Mapped[float] = mapped_column(Float)
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"targets": [[ch, target]]}
    private: Mapped[bool] = mapped_column(default=False)
    # Set while an alert is scheduled; the flush that sends it clears it under the row lock.
    flush_due_at: Mapped[datetime | None]
    flush_seq: Mapped[int] = mapped_column(Integer, default=0)
    notified_count: Mapped[int] = mapped_column(Integer, default=0)
    notified_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))


class IncidentCase(Base):
    """A case that joined an incident (one case may be in one incident per grouped route)."""

    __tablename__ = "incident_cases"
    __table_args__ = (Index("ix_incident_cases_case", "case_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)


class IncidentFlush(Base):
    """One alert of an incident as it was decided: its sequence number, the count, examples.

    (incident, seq) is unique, so a flush that runs twice writes one row and pages once; the
    deliveries carry this row's id as their step.
    """

    __tablename__ = "incident_flushes"
    __table_args__ = (UniqueConstraint("incident_id", "seq", name="uq_incident_flushes_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # first, update, repeat
    count: Mapped[int] = mapped_column(Integer)
    new: Mapped[int] = mapped_column(Integer)
    examples: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"case_ids": [...]}
    at: Mapped[datetime]
