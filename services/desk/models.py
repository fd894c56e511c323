"""The desk's own tables: people, teams, API tokens, internal notes and customer contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    case,
    event,
    or_,
    update,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

import shared.followups.models  # noqa: F401  (the follow-up tables join the metadata too)
from services.desk.enums import ContactOutcome, Role
from shared.models import Base, Case, Response, utcnow


class Team(Base):
    """A group of owners; its lead is the second step of the escalation chain."""

    __tablename__ = "desk_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_users.id", ondelete="SET NULL", use_alter=True, name="fk_teams_lead")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id], post_update=True)


class User(Base):
    """A person who logs in to the desk; the role decides what they may see and change."""

    __tablename__ = "desk_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id", ondelete="SET NULL"))
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Kept in the session cookie; raising it ends every session (log-out, disable, new password).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Fair assignment: out-of-office days (both included) and the last case given by round robin.
    away_from: Mapped[date | None] = mapped_column(Date)
    away_until: Mapped[date | None] = mapped_column(Date)
    last_assigned_at: Mapped[datetime | None]
    # The Slack member id (U0...) that acts as this user from alert buttons; learnt by email.
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)

    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])

    @property
    def label(self) -> str:
        """How the person is shown in timelines and lists."""
        return self.name or self.email

    # What Flask-Login asks of a logged-in user.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in and their sessions stop working."""
        return self.active

    def get_id(self) -> str:
        """What the signed session cookie keeps: the id and the session version, `id:version`."""
        return f"{self.id}:{self.session_version}"


class ApiToken(Base):
    """A machine credential acting as one user; only its SHA-256 digest is stored."""

    __tablename__ = "desk_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class UserEvent(Base):
    """An audit entry about a person: who created, disabled, re-roled them or reset what, when."""

    __tablename__ = "desk_user_events"
    __table_args__ = (Index("ix_desk_user_events_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))  # an admin's email, or "cli:<os user>"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("desk_users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    user: Mapped[User | None] = relationship()


class Note(Base):
    """An internal note on a case; never shown to the customer."""

    __tablename__ = "desk_notes"
    __table_args__ = (Index("ix_desk_notes_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("desk_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Contact(Base):
    """A record that someone got back to the customer: the step that closes the loop."""

    __tablename__ = "desk_contacts"
    __table_args__ = (Index("ix_desk_contacts_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("desk_users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()


@event.listens_for(Contact, "after_insert")
def _keep_first_contact(_mapper: Mapper[Contact], connection: Connection, contact: Contact) -> None:
    """Stamp the case's first contact (and first reach) in the contact's own flush.

    Every contact is written through the ORM, so no writer can forget the case's copy.
    """
    values = {"first_contact_at": _earliest(Case.first_contact_at, contact.at)}
    if contact.outcome == ContactOutcome.REACHED:
        values["reached_at"] = _earliest(Case.reached_at, contact.at)
    connection.execute(update(Case).where(Case.id == contact.case_id).values(values))


def _earliest(column: Any, at: datetime) -> Any:
    return case((or_(column.is_(None), column > at), at), else_=column)


class ActionReceipt(Base):
    """An alert action already taken: a used email link or a handled Slack interaction.

    Its key is unique, so a reused link or a replayed Slack request changes nothing.
    """

    __tablename__ = "desk_action_receipts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# Score trends select responses by when they were submitted.
Index("ix_responses_submitted", Response.submitted_at)

# Substring search in comments (the queue's `q`) stays fast on PostgreSQL with a trigram index;
# on SQLite the same name is a plain index (the migration tests compare one schema for both).
Index(
    "ix_responses_comment_trgm",
    Response.comment,
    postgresql_using="gin",
    postgresql_ops={"comment": "gin_trgm_ops"},
)
