"""The tables every service shares: raw responses, the cases made of them, and their deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from shared.enums import (
    OPEN_CASE_STATUSES,
    CaseStatus,
    DeliveryKind,
    DeliveryStatus,
    IncidentState,
    ModelStatus,
)

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


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


class Delivery(Base):
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
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Start of the retry budget: the first failed attempt (moved on by 429 waits, reset by a retry).
    retry_from: Mapped[datetime | None]
    # An attempt may have reached the channel unseen: look for it before sending again.
    ambiguous: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the channel keeps the sent message, to update it later: "<channel id>:<ts>" for a
    # Slack bot post; None for a webhook post or an email (neither can be edited).
    message_ref: Mapped[str | None] = mapped_column(String(100))

    case: Mapped[Case] = relationship(back_populates="deliveries")


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


class TouchpointCorrection(Base):
    """The touchpoint a person says a case is really about: a labelled example of the deployment."""

    __tablename__ = "touchpoint_corrections"
    __table_args__ = (
        Index("ix_touchpoint_corrections_at", "at"),
        Index("ix_touchpoint_corrections_case", "case_id", "applied_at"),
        Index("ix_touchpoint_corrections_unapplied", "applied_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # The comment as it was routed, kept with the label so training never joins back to cases.
    comment: Mapped[str] = mapped_column(Text, default="")
    from_touchpoint: Mapped[str] = mapped_column(String(100))
    to_touchpoint: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the router once the case was re-routed; a sweep re-sends the ones still unset.
    applied_at: Mapped[datetime | None]


class TouchpointModel(Base):
    """One version of the touchpoint model learnt from corrections; at most one is active."""

    __tablename__ = "touchpoint_models"
    __table_args__ = (Index("ix_touchpoint_models_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the version number
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=ModelStatus.CANDIDATE)
    # Corrections up to this id were available for training and evaluation.
    last_correction_id: Mapped[int] = mapped_column(Integer)
    examples: Mapped[int] = mapped_column(Integer)
    # Held-out accuracy of descriptions alone and of the blend, and why it was (not) switched on.
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The learnt weights as plain JSON (portable across SQLite and PostgreSQL).
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    activated_at: Mapped[datetime | None]


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


class DigestSend(Base):
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
    channel: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # The desk's composed Digest (shared.digests.to_json), and when the notifier gives up on it.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    expires_at: Mapped[datetime | None]
