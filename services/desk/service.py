"""Data access for the desk: load cases for an action, apply lifecycle changes with their audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.desk import lifecycle
from services.desk.access import case_team
from services.desk.config import DeskConfig
from services.desk.models import Contact, Note, Team, User
from services.desk.sla import policy_deadlines
from shared.enums import DeliveryKind
from shared.models import Case, CaseEvent, Delivery, TouchpointCorrection


def get_case(session: Session, *, case_id: int, lock: bool = False) -> Case | None:
    """Return a case with its response; `lock` holds its row until the transaction ends."""
    query = select(Case).where(Case.id == case_id).options(selectinload(Case.response))
    if lock:
        query = query.with_for_update(of=Case)
    return session.scalar(query)


def snapshot(case: Case) -> lifecycle.CaseSnapshot:
    """Return the lifecycle view of a stored case."""
    return lifecycle.CaseSnapshot(
        status=case.status,
        touchpoint=case.touchpoint,
        assignee_id=case.assignee_id,
        team=case.team,
        acknowledged_at=case.acknowledged_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        root_cause=case.root_cause,
        resolution_note=case.resolution_note,
        snoozed_until=case.snoozed_until,
        resolve_due_at=case.resolve_due_at,
        paused_at=case.paused_at,
        paused_seconds=case.paused_seconds,
    )


def stamp_deadlines(case: Case, config: DeskConfig) -> bool:
    """Give a case its SLA deadlines if it has none yet; return whether it changed."""
    if case.ack_due_at is not None or case.resolve_due_at is not None:
        return False
    due = policy_deadlines(
        config, priority=case.priority, touchpoint=case.touchpoint, created_at=case.created_at,
        team=case_team(case, config),
    )  # fmt: skip
    if due is None:
        return False
    case.ack_due_at, case.resolve_due_at = due.acknowledge, due.resolve
    return True


def record(
    session: Session, *, case: Case, change: lifecycle.Change, actor: str, now: datetime
) -> CaseEvent:
    """Apply a change to the case and write its audit event in the same transaction."""
    for name, value in change.updates.items():
        setattr(case, name, value)
    case.updated_at = now
    event = CaseEvent(
        case_id=case.id, at=now, actor=actor, action=change.action, detail=change.detail
    )
    session.add(event)
    session.flush()
    return event


def add_note(session: Session, *, case: Case, author: User, body: str, now: datetime) -> Note:
    """Add an internal note and its timeline event."""
    change = lifecycle.note(body)
    note = Note(case_id=case.id, author_id=author.id, body=body.strip(), created_at=now)
    session.add(note)
    session.flush()
    change.detail["note_id"] = note.id
    record(session, case=case, change=change, actor=author.email, now=now)
    return note


def add_contact(
    session: Session,
    *,
    case: Case,
    user: User,
    channel: str,
    outcome: str,
    note: str,
    now: datetime,
) -> Contact:
    """Record a customer contact and its timeline event."""
    change = lifecycle.contact(channel=channel, outcome=outcome, note=note)
    contact = Contact(
        case_id=case.id, user_id=user.id, channel=channel, outcome=outcome,
        note=change.detail["note"], at=now,
    )  # fmt: skip
    session.add(contact)
    session.flush()
    change.detail["contact_id"] = contact.id
    record(session, case=case, change=change, actor=user.email, now=now)
    return contact


def pending_correction(session: Session, *, case_id: int) -> TouchpointCorrection | None:
    """Return the case's touchpoint correction the router has not applied yet, if any."""
    return session.scalar(
        select(TouchpointCorrection)
        .where(TouchpointCorrection.case_id == case_id, TouchpointCorrection.applied_at.is_(None))
        .limit(1)
    )


def add_correction(
    session: Session, *, case: Case, change: lifecycle.Change, actor: str, now: datetime
) -> TouchpointCorrection:
    """Store a touchpoint correction (a labelled example) and its audit event together."""
    correction = TouchpointCorrection(
        case_id=case.id, comment=case.response.comment or "",
        from_touchpoint=change.detail["before"]["touchpoint"],
        to_touchpoint=change.detail["after"]["touchpoint"], actor=actor, at=now,
    )  # fmt: skip
    session.add(correction)
    session.flush()
    change.detail["correction_id"] = correction.id
    record(session, case=case, change=change, actor=actor, now=now)
    return correction


def corrections_of(session: Session, *, case_id: int) -> list[TouchpointCorrection]:
    """Return a case's touchpoint corrections, oldest first."""
    return list(
        session.scalars(
            select(TouchpointCorrection)
            .where(TouchpointCorrection.case_id == case_id)
            .order_by(TouchpointCorrection.id)
        )
    )


def find_assignee(session: Session, *, email: str) -> User | None:
    """Return the active user a case may be assigned to."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return user if user is not None and user.active else None


def team_exists(session: Session, *, name: str) -> bool:
    """Return whether a team of this name exists."""
    return session.scalar(select(Team.id).where(Team.name == name)) is not None


def team_names(session: Session) -> list[str]:
    """Return the names of the teams people belong to."""
    return list(session.scalars(select(Team.name).order_by(Team.name)))


def team_has_active_user(session: Session, *, name: str) -> bool:
    """Return whether at least one active user is in the team."""
    query = select(User.id).join(Team, User.team_id == Team.id)
    return (
        session.scalar(query.where(Team.name == name, User.active.is_(True)).limit(1)) is not None
    )


def team_lead(session: Session, *, name: str) -> User | None:
    """Return the lead of the team with this name, if it has one."""
    return session.scalar(select(User).join(Team, Team.lead_id == User.id).where(Team.name == name))


def assignable_users(session: Session) -> list[User]:
    """Return the active users a case may be assigned to, by email."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.email)))


def names_by_email(session: Session, emails: set[str]) -> dict[str, str]:
    """Return the display name of each known user among these emails."""
    if not emails:
        return {}
    rows = session.execute(select(User.email, User.name).where(User.email.in_(emails)))
    return {email: name or email for email, name in rows}


def has_editable_alerts(session: Session, *, case_id: int) -> bool:
    """Whether a sent alert about the case can be updated in place (a Slack bot post)."""
    found = session.scalar(
        select(Delivery.id)
        .where(Delivery.case_id == case_id, Delivery.message_ref.is_not(None))
        .limit(1)
    )
    return found is not None


def notes_of(session: Session, *, case_id: int) -> list[Note]:
    """Return a case's notes, oldest first."""
    return list(
        session.scalars(
            select(Note).where(Note.case_id == case_id).options(selectinload(Note.author))
            .order_by(Note.id)
        )
    )  # fmt: skip


def contacts_of(session: Session, *, case_id: int) -> list[Contact]:
    """Return a case's customer contacts, oldest first."""
    return list(
        session.scalars(
            select(Contact).where(Contact.case_id == case_id).options(selectinload(Contact.user))
            .order_by(Contact.id)
        )
    )  # fmt: skip


def users_by_id(session: Session, ids: set[int]) -> dict[int, User]:
    """Return the users with these ids, for showing assignees."""
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def tell_assignee(
    session: Session, *, case: Case, event: CaseEvent, user: User, now: datetime
) -> int | None:
    """Create the "assigned to you" alert of an assignment event (one per event and person)."""
    if not user.active:
        return None
    delivery = Delivery(
        case_id=case.id, kind=DeliveryKind.ASSIGNED, step=event.id, receiver=user.email,
        channel="email", target=user.email, created_at=now, due_at=now,
    )  # fmt: skip
    session.add(delivery)
    session.flush()
    return delivery.id
