"""Digest rows: who gets which digest, claimed once per key, channel and target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.desk.digest_config import OWNER_CHANNELS, DigestConfig
from services.desk.digest_schedule import TEAM, DueDigest
from services.desk.enums import Role
from services.desk.models import Team, User
from shared.enums import DeliveryStatus
from shared.models import DigestSend

OWNER = "owner"
BATCH = 500


@dataclass(frozen=True)
class Planned:
    """One digest to one target, before it is stored."""

    key: str
    audience: str
    team: str | None
    user_id: int | None
    period: str
    since: datetime
    until: datetime
    channel: str
    target: str


_OWNERS = select(User).where(User.active.is_(True), User.role == Role.OWNER).order_by(User.id)


def owner_teams(session: Session) -> tuple[str | None, ...]:
    """The teams active owners belong to (None for owners without a team)."""
    owners = session.scalars(_OWNERS)
    return tuple(dict.fromkeys(u.team.name if u.team else None for u in owners))


def team_owners(session: Session, *, team: str | None) -> list[User]:
    """The active owners of a team (None: those without a team)."""
    query = _OWNERS.outerjoin(Team, Team.id == User.team_id)
    query = query.where(Team.name == team if team is not None else User.team_id.is_(None))
    return list(session.scalars(query))


def owner_targets(user: User, channels: Sequence[str]) -> list[tuple[str, str]]:
    """An owner's targets from their record: their email, their Slack member id if linked."""
    found = []
    if "email" in channels:
        found.append(("email", user.email))
    if "slack" in channels and user.slack_user_id:
        found.append(("slack", f"channel:{user.slack_user_id}"))
    return found


def plan(
    session: Session, due: DueDigest, config: DigestConfig, suffix: str = "",
    only: User | None = None,
) -> list[Planned]:  # fmt: skip
    """List the rows a due digest needs: the team's targets, or each of its owners' own
    (`only`: one owner's, asked for by hand)."""
    when = due.occurrence
    span = (when.period, when.since, when.due_at)
    if due.audience == TEAM:
        assert due.team is not None
        key = f"team:{due.team}:{when.period}:{when.day.isoformat()}{suffix}"
        return [
            Planned(key, TEAM, due.team, None, *span, channel, target)
            for channel, target in config.teams[due.team].targets
        ]
    rows = []
    for user in [only] if only is not None else team_owners(session, team=due.team):
        key = f"owner:{user.id}:{when.period}:{when.day.isoformat()}{suffix}"
        rows += [
            Planned(key, OWNER, due.team, user.id, *span, channel, target)
            for channel, target in owner_targets(user, config.owners.channels or OWNER_CHANNELS)
        ]
    return rows


def store(session: Session, planned: Sequence[Planned], *, now: datetime) -> list[int]:
    """Store the rows not stored yet; return the new ids (a key already there is skipped)."""
    created = []
    for p in planned:
        exists = session.scalar(
            select(DigestSend.id).where(
                DigestSend.key == p.key, DigestSend.channel == p.channel,
                DigestSend.target == p.target,
            )
        )  # fmt: skip
        if exists is not None:
            continue
        row = DigestSend(**vars(p), status=DeliveryStatus.PENDING, attempts=0, created_at=now,
                         due_at=now)  # fmt: skip
        try:
            with session.begin_nested():  # another beat stored it meanwhile: theirs stands
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        created.append(row.id)
    return created


def due_sends(session: Session, *, now: datetime, grace: timedelta) -> list[int]:
    """Rows to (re-)enqueue: pending past their due time and grace, or a lapsed lease."""
    return list(
        session.scalars(
            select(DigestSend.id)
            .where(
                or_(
                    and_(DigestSend.status == DeliveryStatus.PENDING,
                         DigestSend.due_at <= now - grace),
                    and_(DigestSend.status == DeliveryStatus.SENDING,
                         DigestSend.lease_until < now),
                )
            )
            .order_by(DigestSend.id)
            .limit(BATCH)
        )
    )  # fmt: skip


def claim(session: Session, *, send_id: int, now: datetime, lease: timedelta) -> DigestSend | None:
    """Take the row for this worker until now+lease; None if sent, failed or not due."""
    result = session.execute(
        update(DigestSend)
        .where(
            DigestSend.id == send_id,
            DigestSend.due_at <= now,
            or_(
                DigestSend.status == DeliveryStatus.PENDING,
                and_(DigestSend.status == DeliveryStatus.SENDING, DigestSend.lease_until < now),
            ),
        )
        .values(status=DeliveryStatus.SENDING, lease_until=now + lease,
                attempts=DigestSend.attempts + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        select(DigestSend).where(DigestSend.id == send_id).execution_options(populate_existing=True)
    ).one()


def finish(
    session: Session, *, send_id: int, status: str, now: datetime, error: str | None = None,
    due_at: datetime | None = None,
) -> None:  # fmt: skip
    """Record an attempt's outcome on a row this worker holds: sent, failed, or pending again."""
    values: dict[str, object] = {"status": status, "lease_until": None, "last_error": error}
    if status == DeliveryStatus.SENT:
        values["sent_at"] = now
    if due_at is not None:
        values["due_at"] = due_at
    session.execute(
        update(DigestSend)
        .where(DigestSend.id == send_id, DigestSend.status == DeliveryStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
