"""Digest sends: render and send each row the desk planned, once.

The desk stores one row per digest and target with the composed content
(services/desk/digest_plan.py). `send` claims a row with a lease, renders the stored digest for
the row's channel, sends it, and records the outcome; a transient failure is retried until the
row's `expires_at` (`digests.catch_up` after it was planned).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.notifier import digest_service as service
from services.notifier.channels import PermanentError, TransientError, resolve
from services.notifier.channels.email import EmailChannel, multipart, sender_domain
from services.notifier.channels.outbox import OutboxChannel
from services.notifier.channels.slack import SlackChannel
from services.notifier.digest_render import digest_email, digest_slack
from services.notifier.setbacks import backoff
from shared import metrics
from shared.db import transaction
from shared.digests import Digest, from_json
from shared.enums import DeliveryStatus
from shared.models import DigestSend
from shared.settings import Settings

log = logging.getLogger(__name__)

WAITING = "no content yet: the desk composes it at its next beat"


@dataclass(frozen=True)
class Outcome:
    """What one attempt did; `retry_in` set means: try again after that many seconds."""

    status: str
    retry_in: float | None = None
    error: str = ""


def send(
    sessions: sessionmaker[Session],
    settings: Settings,
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
    if row.content is None:  # stored by an earlier version: the desk's next beat composes it
        with transaction(sessions) as session:
            service.finish(session, send_id=send_id, status=DeliveryStatus.PENDING, now=now,
                           error=WAITING, due_at=now)  # fmt: skip
        return Outcome("waiting", error=WAITING)
    digest = from_json(row.content)
    ids = {"send_id": send_id, "key": row.key}
    try:
        transmit(settings, row, digest)
    except TransientError as exc:
        return _retry(sessions, settings, row, exc, now)
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
    sessions: sessionmaker[Session], settings: Settings, row: DigestSend, exc: TransientError,
    now: datetime,
) -> Outcome:  # fmt: skip
    """Try again later with the alerts' backoff, or fail once past the row's `expires_at`."""
    left = ((row.expires_at or row.created_at) - now).total_seconds()
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
