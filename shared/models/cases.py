"""Raw responses, the cases made of them, each case's timeline and its alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.enums import OPEN_CASE_STATUSES, CaseStatus, DeliveryKind
from shared.models.base import Base, JSONType, SendState, utcnow


class Response(Base):
    """One survey response as received: normalized fields and raw payload, stored before routing."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_responses_source_external_id"),
        Index("ix_responses_unrouted", "routed_at", "enqueued_at"),
        Index("ix_responses_fetch_due", "fetch_due_at"),
        # The router's repeat-complainer lookup: other responses of a respondent near a date.
        Index("ix_responses_respondent_id", "respondent_id", "submitted_at"),
        Index("ix_responses_respondent_email", "respondent_email", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    respondent_id: Mapped[str | None] = mapped_column(String(200))
    respondent_email: Mapped[str | None] = mapped_column(String(320))
    respondent_name: Mapped[str | None] = mapped_column(String(200))
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    nps: Mapped[int | None]
    csat: Mapped[int | None]
    ces: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enqueued_at: Mapped[datetime | None]
    routed_at: Mapped[datetime | None]
    routing_error: Mapped[str | None] = mapped_column(Text)
    # What the router decided and why, for every response: "why was this not a case?"
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Thin webhooks: set while the full response must still be fetched from the vendor's API.
    fetch_due_at: Mapped[datetime | None]
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    case: Mapped[Case | None] = relationship(back_populates="response", uselist=False)


class Case(Base):
    """A dissatisfied response that an owner must resolve; one per response."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_created", "status", "created_at"),
        Index("ix_cases_owner_status", "owner", "status"),
        Index("ix_cases_touchpoint_status", "touchpoint", "status"),
        Index("ix_cases_created", "created_at"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
        Index("ix_cases_team_status", "team", "status"),
        Index("ix_cases_priority_status", "priority", "status"),
        Index("ix_cases_status_ack_due", "status", "ack_due_at"),
        Index("ix_cases_status_resolve_due", "status", "resolve_due_at"),
        # Digests: deadlines that passed in a span, and root causes recorded in one (any status).
        Index("ix_cases_ack_due", "ack_due_at"),
        Index("ix_cases_resolve_due", "resolve_due_at"),
        Index("ix_cases_resolved", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.NEW)
    priority: Mapped[str] = mapped_column(String(10))
    touchpoint: Mapped[str] = mapped_column(String(100))
    touchpoints: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner: Mapped[str] = mapped_column(String(100))
    receivers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    polarity: Mapped[float | None] = mapped_column(Float)
    subjectivity: Mapped[float | None] = mapped_column(Float)
    # Score and comment disagree (router.policy.Disagreement): a check case, flagged in the queue.
    disagreement: Mapped[str | None] = mapped_column(String(40))
    analysis: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Case-desk state (services/desk): who works on it, where it is in its lifecycle and SLA.
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    root_cause: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    ack_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    escalation_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Reminders wait until then: escalation pauses, the SLA deadlines stay as they are.
    snoozed_until: Mapped[datetime | None]
    # Waiting on the customer since then (the resolve clock is paused); None while it runs.
    paused_at: Mapped[datetime | None]
    # Wall-clock seconds spent waiting on the customer, summed over every finished pause.
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The first customer contact logged, and the first that reached the customer (desk
    # contacts, kept by services.desk.models on each insert): the closed-loop KPIs read them
    # with the case instead of aggregating every contact of a period.
    first_contact_at: Mapped[datetime | None]
    reached_at: Mapped[datetime | None]

    response: Mapped[Response] = relationship(back_populates="case")
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="case", order_by="Delivery.id")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")


def current_deadline() -> ColumnElement[datetime]:
    """The deadline that matters now: acknowledge until acknowledged, then resolve.

    The queue sorts and filters by exactly this expression, so ix_cases_open_due serves it.
    """
    return case((Case.acknowledged_at.is_(None), Case.ack_due_at), else_=Case.resolve_due_at)


_OPEN = Case.status.in_(OPEN_CASE_STATUSES)
# The open cases (a percent of all) in the queue's orders: the overdue view and the
# priority sort walk these and stop at a page, instead of sorting every open case.
Index("ix_cases_open_due", current_deadline(), Case.id, postgresql_where=_OPEN, sqlite_where=_OPEN)
Index(
    "ix_cases_open_priority", Case.priority, Case.created_at, Case.id,
    postgresql_where=_OPEN, sqlite_where=_OPEN,
)  # fmt: skip


class CaseEvent(Base):
    """An audit/timeline entry: who did what to a case, and when."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Delivery(SendState, Base):
    """One alert to one target; its unique key makes a redelivered task a no-op."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "kind", "step", "receiver", "channel", "target", name="uq_deliveries_key"
        ),
        Index("ix_deliveries_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20), default=DeliveryKind.ASSIGNMENT)
    step: Mapped[int] = mapped_column(Integer, default=0)
    receiver: Mapped[str] = mapped_column(String(100))
    # Start of the retry budget: the first failed attempt (moved on by 429 waits, reset by a retry).
    retry_from: Mapped[datetime | None]
    # An attempt may have reached the channel unseen: look for it before sending again.
    ambiguous: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the channel keeps the sent message, to update it later: "<channel id>:<ts>" for a
    # Slack bot post; None for a webhook post or an email (neither can be edited).
    message_ref: Mapped[str | None] = mapped_column(String(100))

    case: Mapped[Case] = relationship(back_populates="deliveries")
