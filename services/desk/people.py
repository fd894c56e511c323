"""People management: one path for the CLI, the admin page and the API, every change audited.

Each change is checked first and refused as a whole (`UserError`: bad input; `UserConflict`:
the user is not in a state the change applies to, or it would leave the desk without an
active admin), so a refused change writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.desk.enums import Role
from services.desk.models import ApiToken, User, UserEvent
from services.desk.users import (
    UserError,
    add_user,
    ensure_team,
    hash_password,
    revoke_sessions,
    set_active,
)

ACTIONS = ("disable", "enable", "set_password", "end_sessions", "revoke_tokens", "set_role",
           "set_team", "set_away", "set_slack")  # fmt: skip
TEAM_MAX = 100


class UserConflict(UserError):
    """The change does not apply to the user as they are (HTTP 409)."""


@dataclass(frozen=True)
class Person:
    """A user as the list shows them: the row and how many API tokens still work."""

    user: User
    tokens: int

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON and the CLI (never the password hash or token digests)."""
        u = self.user
        return {
            "id": u.id, "email": u.email, "name": u.name, "role": u.role,
            "team": u.team.name if u.team else None, "active": u.active,
            "created_at": u.created_at, "last_login_at": u.last_login_at, "api_tokens": self.tokens,
        }  # fmt: skip


def people(session: Session) -> list[Person]:
    """Every user, active ones first, by email, with their working API token count."""
    counts = dict(
        session.execute(
            select(ApiToken.user_id, func.count())
            .where(ApiToken.revoked_at.is_(None))
            .group_by(ApiToken.user_id)
        ).all()
    )
    users = session.scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return [Person(u, int(counts.get(u.id, 0))) for u in users]


def get_person(session: Session, user_id: int) -> Person | None:
    """One user with their token count, or None."""
    user = session.get(User, user_id)
    if user is None:
        return None
    tokens = session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    return Person(user, int(tokens or 0))


def audit(
    session: Session, *, actor: str, user: User | None, action: str, now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """Write one audit entry about a user."""
    session.add(UserEvent(at=now, actor=actor, user_id=user.id if user else None, action=action,
                          detail=detail or {}))  # fmt: skip
    session.flush()


def recent_events(session: Session, limit: int = 50, user_id: int | None = None) -> list[UserEvent]:
    """The latest people-management changes (about one user, if given), newest first."""
    query = select(UserEvent).order_by(UserEvent.id.desc()).limit(limit)
    if user_id is not None:
        query = query.where(UserEvent.user_id == user_id)
    return list(session.scalars(query))


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
    ) or 0  # fmt: skip


def _keeps_an_admin(session: Session, user: User, *, actor_id: int | None) -> None:
    if user.id == actor_id:
        raise UserConflict("you cannot do this to your own account; ask another admin")
    if user.role == Role.ADMIN and user.active and not _other_active_admins(session, user):
        raise UserConflict(f"{user.email} is the last active admin; make another admin first")


def create(
    session: Session, *, actor: str, now: datetime, email: str, password: str, role: str,
    name: str = "", team: str | None = None, lead: bool = False,
) -> User:  # fmt: skip
    """Create a user (with `lead`, their team's lead) and audit it."""
    user = add_user(session, email=email, password=password, role=role, name=name,
                    team=team or None, lead=lead)  # fmt: skip
    audit(session, actor=actor, user=user, action="create", now=now,
          detail={"role": user.role, "team": team or None})  # fmt: skip
    return user


def change(
    session: Session, *, actor: str, actor_id: int | None, user: User, action: str,
    now: datetime, value: str = "",
) -> str:  # fmt: skip
    """Apply one people-management action to a user; return what was done, in words.

    `value` is the new role, team or password for the actions that take one. `actor_id` is
    the admin acting (None from the CLI): an admin cannot disable, demote or lock out
    themself, and no action may leave the desk without an active admin.
    """
    if action not in ACTIONS:
        raise UserError(f"action must be one of {', '.join(ACTIONS)}")
    detail: dict[str, Any] = {}
    if action == "disable":
        if not user.active:
            raise UserConflict(f"{user.email} is already disabled")
        _keeps_an_admin(session, user, actor_id=actor_id)
        set_active(user, False)
        done = "disabled; their sessions ended and their API tokens stopped working"
    elif action == "enable":
        if user.active:
            raise UserConflict(f"{user.email} is already active")
        set_active(user, True)
        done = "enabled; they log in anew"
    elif action == "set_password":
        user.password_hash = hash_password(value)
        revoke_sessions(user)
        done = "password changed; their sessions ended"
    elif action == "end_sessions":
        revoke_sessions(user)
        done = "every session ended"
    elif action == "revoke_tokens":  # value: only the tokens of that name
        detail = {"tokens": revoke_tokens(session, user=user, now=now, name=value or None)}
        if not detail["tokens"]:
            named = f" named {value!r}" if value else ""
            raise UserConflict(f"{user.email} has no working API token{named}")
        done = f"{detail['tokens']} API token(s) revoked; sessions in the browser go on"
    elif action == "set_role":
        if value not in set(Role):
            raise UserError(f"role must be one of {', '.join(Role)}")
        if value == user.role:
            raise UserConflict(f"{user.email} is already {value}")
        if user.role == Role.ADMIN:
            _keeps_an_admin(session, user, actor_id=actor_id)
        detail = {"before": user.role, "after": value}
        user.role = value
        done = f"role is now {value}"
    elif action == "set_slack":  # value: the Slack member id (U...), "" unlinks
        detail = {"before": user.slack_user_id, "after": value or None}
        user.slack_user_id = value or None
        done = f"linked to Slack member {value}" if value else "unlinked from Slack"
    elif action == "set_away":  # value: "FROM..UNTIL" (ISO days, either may be empty), "" clears
        detail = {"before": _away(user), "after": value or None}
        user.away_from, user.away_until = _away_days(value)
        done = f"away {value.replace('..', ' to ')}" if value else "back in office"
    else:  # set_team
        name = value.strip()
        if len(name) > TEAM_MAX:
            raise UserError(f"team must have at most {TEAM_MAX} characters")
        before = user.team.name if user.team else None
        if (name or None) == before:
            raise UserConflict(
                f"{user.email} is already in {'team ' + name if name else 'no team'}"
            )
        user.team = ensure_team(session, name=name) if name else None
        detail = {"before": before, "after": name or None}
        done = f"team is now {name}" if name else "no longer in a team"
    audit(session, actor=actor, user=user, action=action, now=now, detail=detail)
    return done


def _away(user: User) -> str | None:
    if user.away_from is None and user.away_until is None:
        return None
    return f"{user.away_from or ''}..{user.away_until or ''}"


def _away_days(value: str) -> tuple[date | None, date | None]:
    """Read "FROM..UNTIL" out-of-office days (for round-robin assignment)."""
    if not value:
        return None, None
    start, sep, end = value.partition("..")
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        raise UserError("away days must be YYYY-MM-DD..YYYY-MM-DD") from None
    if not sep or not (first or last):
        raise UserError("away days must be YYYY-MM-DD..YYYY-MM-DD")
    if first and last and last < first:
        raise UserError("the last day away is before the first")
    return first, last


def revoke_tokens(session: Session, *, user: User, now: datetime, name: str | None = None) -> int:
    """Revoke the user's working API tokens (only those called `name`, if given); how many."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name is not None:
        query = query.where(ApiToken.name == name)
    tokens = session.scalars(query).all()
    for token in tokens:
        token.revoked_at = now
    session.flush()
    return len(tokens)
