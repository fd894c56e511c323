"""Digest planning: which targets get which digest, composed once and stored once per key.

`plan` stores one `digest_sends` row per digest and target under a unique key (audience, period,
local day) with the composed content, so a second beat or a redelivered task finds it stored and
stores nothing more. The notifier's `send_digest` renders and sends each row
(services/notifier/digests.py); the two meet only through the row (shared/digests.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import DeskConfig
from services.desk.digest import compose
from services.desk.digest_config import OWNER_CHANNELS
from services.desk.digest_figures import Window, collect, owner_scope, team_scope
from services.desk.digest_schedule import TEAM, DueDigest, due_digests
from services.desk.enums import Role
from services.desk.models import Team, User
from shared.digests import BATCH, OWNER_GONE, Digest, due_sends, to_json
from shared.enums import DeliveryStatus
from shared.models import DigestSend

log = logging.getLogger(__name__)

OWNER = "owner"


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
    content: dict[str, Any]
    expires_at: datetime


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


def build(
    session: Session,
    *,
    config: DeskConfig,
    public_url: str,
    period: str,
    span: Window,
    now: datetime,
    team: str | None = None,
    user: User | None = None,
) -> Digest:
    """Build a team's digest, or an owner's (`user`), over a span, from the database now."""
    if user is not None:
        zone = config.timezone_of(user.team.name if user.team else None)
        scope, audience, link_team = owner_scope(user, config=config), user.label, None
    else:
        assert team is not None
        zone = config.timezone_of(team)
        scope, audience, link_team = team_scope(team, config=config, now=now), f"team {team}", team
    figures = collect(session, scope=scope, span=span, now=now, config=config)
    return compose(
        figures, audience=audience, period=period, since=span.since, until=span.until,
        zone=zone, public_url=public_url, team=link_team,
    )  # fmt: skip


def _stored(session: Session, key: str) -> set[tuple[str, str]]:
    query = select(DigestSend.channel, DigestSend.target).where(DigestSend.key == key)
    return {(channel, target) for channel, target in session.execute(query)}


def composed(
    session: Session, due: DueDigest, config: DeskConfig, *, public_url: str, now: datetime,
    suffix: str = "", only: User | None = None,
) -> Iterator[list[Planned]]:  # fmt: skip
    """Compose the rows a due digest still needs, one key at a time: the team's targets, or each
    of its owners' own (`only`: one owner's, asked for by hand); a key stored for every target
    is skipped before its figures are read."""
    when, digests = due.occurrence, config.digests
    span = Window(when.since, when.due_at)
    head = (when.period, when.since, when.due_at)
    expires_at = now + digests.catch_up
    if due.audience == TEAM:
        assert due.team is not None
        people: list[tuple[str, User | None, Sequence[tuple[str, str]]]] = [(
            f"team:{due.team}:{when.period}:{when.day.isoformat()}{suffix}", None,
            digests.teams[due.team].targets,
        )]  # fmt: skip
    else:
        people = [
            (f"owner:{user.id}:{when.period}:{when.day.isoformat()}{suffix}", user,
             owner_targets(user, digests.owners.channels or OWNER_CHANNELS))
            for user in ([only] if only is not None else team_owners(session, team=due.team))
        ]  # fmt: skip
    for key, user, targets in people:
        if not set(targets) - _stored(session, key):
            continue
        content = to_json(build(
            session, config=config, public_url=public_url, period=when.period, span=span,
            now=now, team=due.team if user is None else None, user=user,
        ))  # fmt: skip
        yield [
            Planned(key, TEAM if user is None else OWNER, due.team,
                    None if user is None else user.id, *head, channel, target, content,
                    expires_at)
            for channel, target in targets
        ]  # fmt: skip


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


def compose_missing(
    session: Session, config: DeskConfig, *, public_url: str, now: datetime
) -> None:
    """Compose the pending rows an earlier version stored without content (it built them when
    sending), so the notifier can send them; an owner no longer active gets nothing."""
    query = select(DigestSend).where(
        DigestSend.content.is_(None), DigestSend.status == DeliveryStatus.PENDING
    )
    for row in session.scalars(query.order_by(DigestSend.id).limit(BATCH)):
        user = session.get(User, row.user_id) if row.user_id is not None else None
        if row.audience == OWNER and (user is None or not user.active):
            row.status, row.last_error = DeliveryStatus.FAILED, OWNER_GONE
            continue
        row.content = to_json(build(
            session, config=config, public_url=public_url, period=row.period,
            span=Window(row.since, row.until), now=now, team=row.team, user=user,
        ))  # fmt: skip
        row.expires_at = row.created_at + config.digests.catch_up


def plan(
    sessions: sessionmaker[Session], config: DeskConfig, *, public_url: str, now: datetime,
    grace: timedelta, budget_s: float,
) -> list[int]:  # fmt: skip
    """Store the digests due now (each key once) and return the rows to enqueue.

    Each digest is committed as soon as it is composed, and composing stops after `budget_s`
    (a run must end inside the task time limit): the next beat goes on from the keys stored.
    """
    digests, deadline = config.digests, time.monotonic() + budget_s
    created: list[int] = []
    with sessions() as session:
        teams = owner_teams(session) if digests.owners.periods else ()
        due = due_digests(digests, now=now, zone_of=config.timezone_of, owner_teams=teams)
        for item in due:
            for planned in composed(session, item, config, public_url=public_url, now=now):
                created += store(session, planned, now=now)
                session.commit()
                if time.monotonic() > deadline:
                    break
            else:
                continue
            log.warning("digest planning used its %.0fs; the next beat goes on", budget_s)
            break
        compose_missing(session, config, public_url=public_url, now=now)
        again = due_sends(session, now=now, grace=grace)
        session.commit()
    if created:
        log.info("planned %d digest sends", len(created), extra={"send_ids": created})
    return list(dict.fromkeys(created + again))


def plan_now(
    session: Session, due: DueDigest, config: DeskConfig, *, public_url: str, now: datetime,
    user: User | None,
) -> list[int]:  # fmt: skip
    """Store a digest asked for by hand: its own key, so it never stands in for a scheduled one."""
    suffix = f":manual:{now.strftime('%Y%m%dT%H%M%S%f')}"
    groups = composed(session, due, config, public_url=public_url, now=now, suffix=suffix,
                      only=user)  # fmt: skip
    return store(session, [p for group in groups for p in group], now=now)
