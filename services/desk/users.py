"""People and machine credentials: password hashing (werkzeug's scrypt), API tokens, teams."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from services.desk.enums import Role
from services.desk.models import ApiToken, Team, User
from shared.digests import drop_owner_sends

TOKEN_PREFIX = "cxd_"
MIN_PASSWORD = 10


@cache
def _dummy_hash() -> str:
    """A hash checked for unknown emails, so a login takes as long whether or not they exist."""
    return generate_password_hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


def hash_password(password: str) -> str:
    """Hash a password with a salted, memory-hard KDF."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    return generate_password_hash(password)


def find_user(session: Session, *, email: str) -> User | None:
    """Return the user with this email (case-insensitive)."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, *, email: str, password: str, now: datetime) -> User | None:
    """Return the active user whose password matches, else None (in constant-ish time)."""
    user = find_user(session, email=email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = now
    return user


def session_user(session: Session, session_id: str) -> User | None:
    """Return the active user a session cookie's `id:version` names, if the version is current."""
    user_id, sep, version = session_id.partition(":")
    if not (sep and user_id.isdigit() and version.isdigit()) or len(session_id) > 40:
        return None  # an old-style or forged value: log in again
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def revoke_sessions(user: User) -> None:
    """End every session of this user: cookies carrying the old version stop working."""
    user.session_version = (user.session_version or 0) + 1


def set_password(user: User, password: str) -> None:
    """Change a user's password and end their sessions."""
    user.password_hash = hash_password(password)
    revoke_sessions(user)


def set_active(user: User, active: bool) -> None:
    """Enable or disable a user; disabling ends their sessions (their API tokens stop too) and
    drops their digests not sent yet."""
    user.active = active
    if not active:
        revoke_sessions(user)
        session = object_session(user)
        if session is not None and user.id is not None:
            drop_owner_sends(session, user_id=user.id)


def ensure_team(session: Session, *, name: str) -> Team:
    """Return the team with this name, creating it if needed."""
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team


def add_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    team: str | None = None,
    lead: bool = False,
) -> User:
    """Create a user (and their team if new); `lead` makes them the team's lead."""
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"{email!r} is not an email address")
    if role not in set(Role):
        raise UserError(f"role must be one of {', '.join(Role)}")
    if find_user(session, email=email) is not None:
        raise UserError(f"a user with email {email} exists")
    if lead and not team:
        raise UserError("a team lead needs a team")
    user = User(email=email, name=name, role=role, password_hash=hash_password(password))
    if team:
        user.team = ensure_team(session, name=team)
    session.add(user)
    session.flush()
    if lead and user.team is not None:
        user.team.lead = user
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(session: Session, *, user: User, name: str) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, digest=_digest(token)))
    session.flush()
    return token


def user_for_token(session: Session, *, token: str, now: datetime) -> User | None:
    """Return the active user an unrevoked token belongs to (tokens are random: a hash suffices)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        select(ApiToken).where(ApiToken.digest == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = now
    return row.user
