"""Digests start to finish: plan the due ones, then build and send each row once.

`plan` stores one row per digest and target under a unique key (audience, period, local day),
so a second beat or a redelivered task finds it stored and sends nothing more. `send` claims a
row with a lease, builds the digest from the database as it is now, sends it, and records the
outcome; a transient failure is retried until `digests.catch_up` after it was planned.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import DeskConfig
from services.desk.digest import Digest, compose
from services.desk.digest_figures import Window, collect, owner_scope, team_scope
from services.desk.digest_schedule import DueDigest, due_digests
from services.desk.models import User
from services.notifier import digest_service as service
from services.notifier.channels import PermanentError, TransientError, resolve
from services.notifier.channels.email import EmailChannel, multipart, sender_domain
from services.notifier.channels.outbox import OutboxChannel
from services.notifier.channels.slack import SlackChannel
from services.notifier.digest_render import digest_email, digest_slack
from services.notifier.flows import backoff
from shared import metrics
from shared.db import transaction
from shared.enums import DeliveryStatus
from shared.models import DigestSend
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one attempt did; `retry_in` set means: try again after that many seconds."""

    status: str
    retry_in: float | None = None
    error: str = ""


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


def plan(
    sessions: sessionmaker[Session], config: DeskConfig, *, now: datetime, grace: timedelta
) -> list[int]:
    """Store every digest due now (each key once) and return the rows to enqueue."""
    digests = config.digests
    with transaction(sessions) as session:
        teams = service.owner_teams(session) if digests.owners.periods else ()
        due = due_digests(digests, now=now, zone_of=config.timezone_of, owner_teams=teams)
        created = []
        for item in due:
            created += service.store(session, service.plan(session, item, digests), now=now)
        again = service.due_sends(session, now=now, grace=grace)
    if created:
        log.info("planned %d digest sends", len(created), extra={"send_ids": created})
    return list(dict.fromkeys(created + again))


def plan_now(
    session: Session, due: DueDigest, config: DeskConfig, *, now: datetime, user: User | None
) -> list[int]:
    """Store a digest asked for by hand: its own key, so it never stands in for a scheduled one."""
    suffix = f":manual:{now.strftime('%Y%m%dT%H%M%S%f')}"
    planned = service.plan(session, due, config.digests, suffix, only=user)
    return service.store(session, planned, now=now)


def send(
    sessions: sessionmaker[Session],
    settings: Settings,
    config: DeskConfig,
    send_id: int,
    *,
    now: datetime,
) -> Outcome:
    """Make one attempt at a digest row; a redelivered or concurrent duplicate is a no-op."""
    lease = timedelta(seconds=settings.delivery_lease_s)
    with transaction(sessions) as session:
        row = service.claim(session, send_id=send_id, now=now, lease=lease)
        if row is None:
            return Outcome("skipped")
        session.expunge(row)
    # Built after the claim is committed, so its row lock is not held while the figures are
    # read. If building fails, the lease runs out and the next beat hands the row out again.
    with sessions() as session:
        user = session.get(User, row.user_id) if row.user_id is not None else None
        gone = row.audience == service.OWNER and (user is None or not user.active)
        digest = None if gone else build(
            session, config=config, public_url=settings.public_url, period=row.period,
            span=Window(row.since, row.until), now=now, team=row.team, user=user,
        )  # fmt: skip
    if digest is None:
        return _fail(sessions, row, "the owner is no longer an active desk user", now)
    ids = {"send_id": send_id, "key": row.key}
    try:
        transmit(settings, row, digest)
    except TransientError as exc:
        return _retry(sessions, settings, config, row, exc, now)
    except PermanentError as exc:
        return _fail(sessions, row, str(exc), now)
    with transaction(sessions) as session:
        service.finish(session, send_id=send_id, status=DeliveryStatus.SENT, now=now)
    metrics.digest(row.channel, "sent")
    log.info("digest sent via %s", row.channel, extra=ids)
    return Outcome("sent")


def _fail(sessions: sessionmaker[Session], row: DigestSend, error: str, now: datetime) -> Outcome:
    """Record that this digest will not go to this target, and why."""
    with transaction(sessions) as session:
        service.finish(session, send_id=row.id, status=DeliveryStatus.FAILED, now=now, error=error)
    metrics.digest(row.channel, "failed")
    log.error("digest failed: %s", error, extra={"send_id": row.id, "key": row.key})
    return Outcome("failed", error=error)


def _retry(
    sessions: sessionmaker[Session], settings: Settings, config: DeskConfig, row: DigestSend,
    exc: TransientError, now: datetime,
) -> Outcome:  # fmt: skip
    """Try again later with the alerts' backoff, or fail once past `digests.catch_up`."""
    left = (row.created_at + config.digests.catch_up - now).total_seconds()
    if left <= 0:
        return _fail(sessions, row, f"gave up after {row.attempts} attempts: {exc}", now)
    wait = backoff(
        row.attempts, base=settings.retry_backoff_s, cap=settings.retry_backoff_max_s,
        retry_after=exc.retry_after,
    )  # fmt: skip
    delay = min(left, wait)
    with transaction(sessions) as session:
        service.finish(session, send_id=row.id, status=DeliveryStatus.PENDING, now=now,
                       error=str(exc), due_at=now + timedelta(seconds=delay))  # fmt: skip
    metrics.digest(row.channel, "retry")
    log.warning("digest attempt failed, retrying in %.1fs: %s", delay, exc,
                extra={"send_id": row.id, "key": row.key})  # fmt: skip
    return Outcome("retry", retry_in=delay, error=str(exc))


def message_id(send_id: int, *, deployment: str, domain: str) -> str:
    """The Message-ID of a digest row: the same on every resend, unique per deployment."""
    tag = hashlib.sha256(deployment.encode()).hexdigest()[:12]
    return f"<cxloop-digest-{send_id}.{tag}@{domain}>"


def transmit(settings: Settings, row: DigestSend, digest: Digest) -> None:
    """Send the digest over the row's channel, or to the outbox when that is not configured."""
    route = resolve(settings, row.channel, row.target)
    channel = route.channel
    if isinstance(channel, OutboxChannel):
        email = digest_email(digest)
        document = {"send_id": row.id, "key": row.key, "channel": row.channel,
                    "target": row.target, "why": route.fallback, "subject": email.subject,
                    "text": email.text, "slack": digest_slack(digest)}  # fmt: skip
        channel.write(settings.outbox_dir / f"digest-{row.id}.json", document)
    elif isinstance(channel, EmailChannel):
        sender = settings.smtp_from
        mid = message_id(row.id, deployment=settings.public_url, domain=sender_domain(sender))
        channel.transmit(multipart(digest_email(digest), sender=sender, to=route.target,
                                       message_id=mid))  # fmt: skip
    elif isinstance(channel, SlackChannel):
        channel.post(digest_slack(digest), route.target)
    else:
        raise PermanentError(f"digests cannot go over {row.channel!r}")
