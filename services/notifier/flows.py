"""One delivery attempt, start to finish: claim, pick the channel, send, record the outcome."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.notifier import service
from services.notifier.channels import PermanentError, TransientError, resolve
from services.notifier.ratelimit import RateLimiter
from shared.db import transaction
from shared.enums import DeliveryStatus
from shared.models import Delivery, utcnow
from shared.settings import Settings

log = logging.getLogger(__name__)
SWEEP_BATCH = 500
SWEEP_TRICKLE = 10  # pending deliveries re-sent per sweep while the queue has a backlog


@dataclass(frozen=True)
class Outcome:
    """What one attempt did; `retry_in` set means: run the task again after that many seconds."""

    status: str
    retry_in: float | None = None


def backoff(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter, capped; a server's Retry-After is the minimum."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return max(rand() * ceiling, retry_after or 0.0)


def deliver(
    sessions: sessionmaker[Session],
    settings: Settings,
    delivery_id: int,
    *,
    limiter: RateLimiter | None,
    now: Callable[[], datetime] = utcnow,
) -> Outcome:
    """Make one attempt at a delivery; a redelivered or concurrent duplicate is a no-op."""
    started = now()
    with transaction(sessions) as session:
        delivery = service.claim_delivery(
            session,
            delivery_id=delivery_id,
            now=started,
            lease=timedelta(seconds=settings.delivery_lease_s),
        )
        if delivery is None:
            return _not_claimed(session, delivery_id, started)
        alert = service.build_alert(
            delivery, public_url=settings.public_url, move=service.move_of(session, delivery)
        )
    ids = {"case_id": delivery.case_id, "delivery_id": delivery.id}
    try:
        route = resolve(settings, delivery.channel, delivery.target)
        if limiter is not None and route.channel.rate is not None:
            wait = limiter.take(f"{route.channel.type}:{route.target}", route.channel.rate)
            if wait > 0:
                with transaction(sessions) as session:
                    due = now() + timedelta(seconds=wait)
                    service.release_claim(session, delivery=delivery, due_at=due)
                log.info("target rate limit; waiting %.2fs", wait, extra=ids)
                return Outcome("rate_limited", retry_in=wait)
        route.channel.send(alert, route.target)
    except TransientError as exc:
        return _transient(sessions, settings, delivery, str(exc), exc.retry_after, now())
    except PermanentError as exc:
        _fail(sessions, delivery, str(exc), permanent=True, at=now())
        return Outcome("failed")
    except Exception as exc:
        # A bug or an outage we did not foresee: count the attempt so it cannot loop forever,
        # leave the retry to the sweep, and let the task fail loudly.
        _transient(sessions, settings, delivery, f"unexpected {type(exc).__name__}", None, now())
        raise
    with transaction(sessions) as session:
        recorded = service.mark_sent(
            session, delivery=delivery, now=now(), via=route.channel.type, fallback=route.fallback
        )
    if route.fallback:
        log.warning("written to the outbox: %s", route.fallback, extra=ids)
    log.info("delivered via %s", route.channel.type, extra=ids | {"recorded": recorded})
    return Outcome("sent")


def sweep(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime, backlog: int
) -> Sequence[int]:
    """Return the deliveries the sweep must re-enqueue (lease expired, or pending past grace).

    With a backlog in the notifier's queue only a trickle of pending ones is taken: the rest are
    most likely still waiting in that queue, and re-sending them would add duplicate work.
    """
    with transaction(sessions) as session:
        return service.due_deliveries(
            session,
            now=now,
            grace=timedelta(seconds=settings.sweep_grace_s),
            limit=SWEEP_BATCH,
            overdue_limit=SWEEP_TRICKLE if backlog else SWEEP_BATCH,
        )


def _not_claimed(session: Session, delivery_id: int, now: datetime) -> Outcome:
    current = service.get_delivery(session, delivery_id=delivery_id)
    ids = {"delivery_id": delivery_id, "case_id": current.case_id if current else None}
    if current is None:
        log.warning("no such delivery", extra=ids)
        return Outcome("missing")
    if current.status == DeliveryStatus.PENDING and current.due_at > now:
        return Outcome("not_due", retry_in=(current.due_at - now).total_seconds())
    log.info("delivery is %s; nothing to do", current.status, extra=ids)
    return Outcome("skipped")


def _transient(
    sessions: sessionmaker[Session],
    settings: Settings,
    delivery: Delivery,
    error: str,
    retry_after: float | None,
    at: datetime,
) -> Outcome:
    attempt = delivery.attempts + 1
    if attempt > settings.max_retries:
        _fail(sessions, delivery, f"gave up after {attempt} attempts: {error}", False, at)
        return Outcome("failed")
    delay = backoff(
        attempt,
        base=settings.retry_backoff_s,
        cap=settings.retry_backoff_max_s,
        retry_after=retry_after,
    )
    with transaction(sessions) as session:
        service.schedule_retry(
            session, delivery=delivery, now=at, due_at=at + timedelta(seconds=delay), error=error
        )
    log.warning(
        "attempt %d failed, retrying in %.2fs: %s",
        attempt,
        delay,
        error,
        extra={"case_id": delivery.case_id, "delivery_id": delivery.id},
    )
    return Outcome("retry", retry_in=delay)


def _fail(
    sessions: sessionmaker[Session], delivery: Delivery, error: str, permanent: bool, at: datetime
) -> None:
    with transaction(sessions) as session:
        service.mark_failed(session, delivery=delivery, now=at, error=error, permanent=permanent)
    log.error(
        "delivery failed: %s",
        error,
        extra={"case_id": delivery.case_id, "delivery_id": delivery.id, "permanent": permanent},
    )
