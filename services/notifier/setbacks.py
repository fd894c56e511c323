"""What an attempt that did not send records: a wait the channel or the rate limit asked for,
a hold behind an open breaker, a retry with backoff within the delivery's budget, a failure.
Each ends the claim in a transaction of its own, so one delivery's setback never waits for, or
holds back, the others of its batch (`flows.deliver_many`)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from services.notifier import service
from services.notifier.breaker import CLOSED, OPENED, Breaker
from services.notifier.channels import AmbiguousError, PermanentError, RateLimited, TransientError
from shared import metrics
from shared.backoff import backoff as shared_backoff
from shared.db import transaction
from shared.enums import DeliveryStatus
from shared.models import Delivery
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one attempt did; `retry_in` set means: run the task again after that many seconds.

    `released` lists deliveries made due now because this send showed their endpoint works:
    it closed the breaker, or it is the first success after failed sends. `booked` says the
    rate limit booked a send slot at `retry_in`: the next attempt sends without asking again.
    """

    status: str
    retry_in: float | None = None
    released: tuple[int, ...] = ()
    booked: bool = False
    error: Exception | None = field(default=None, compare=False)  # the task raises it


def backoff(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Exponential backoff with full jitter, capped; a server's Retry-After is the minimum."""
    return shared_backoff(attempt - 1, base=base, cap=cap, retry_after=retry_after, jitter=rand)


def wait(
    sessions: sessionmaker[Session], delivery: Delivery, wait: float, at: datetime, status: str
) -> Outcome:
    """Give the delivery back for `wait` seconds; a wait the receiver asked for spends no budget."""
    retry_from = delivery.retry_from + timedelta(seconds=wait) if delivery.retry_from else None
    with transaction(sessions) as session:
        service.release_claim(
            session, delivery=delivery, due_at=at + timedelta(seconds=wait), retry_from=retry_from
        )
    metrics.delivery(delivery.channel, status)
    return Outcome(status, retry_in=wait)


def hold(
    sessions: sessionmaker[Session],
    settings: Settings,
    delivery: Delivery,
    endpoint: str,
    at: datetime,
) -> Outcome:
    """Hold a delivery while its channel's breaker is open; the outage spends its budget."""
    retry_from = delivery.retry_from or at
    if at - retry_from >= timedelta(seconds=settings.delivery_budget_s):
        error = f"{endpoint} unreachable for the whole retry budget: {delivery.last_error}"
        fail(sessions, delivery, error, False, at)
        return Outcome("failed")
    wait = hold_wait(settings)
    with transaction(sessions) as session:
        service.release_claim(
            session, delivery=delivery, due_at=at + timedelta(seconds=wait), retry_from=retry_from
        )
    metrics.delivery(delivery.channel, "held")
    return Outcome("held", retry_in=wait)


def hold_wait(settings: Settings) -> float:
    """Seconds a delivery waits while its breaker is open: one to two probe intervals, spread."""
    return settings.breaker_probe_s * (1 + random.random())


def not_claimed(session: Session, delivery_id: int, now: datetime) -> Outcome:
    current = service.get_delivery(session, delivery_id=delivery_id)
    ids = {"delivery_id": delivery_id, "case_id": current.case_id if current else None}
    if current is None:
        log.warning("no such delivery", extra=ids)
        return Outcome("missing")
    if current.status == DeliveryStatus.PENDING and current.due_at > now:
        return Outcome("not_due", retry_in=(current.due_at - now).total_seconds())
    log.info("delivery is %s; nothing to do", current.status, extra=ids)
    return Outcome("skipped")


def transient(
    sessions: sessionmaker[Session],
    settings: Settings,
    delivery: Delivery,
    error: str,
    retry_after: float | None,
    at: datetime,
    ambiguous: bool = False,
    longest: float | None = None,
) -> Outcome:
    """Schedule the next attempt within the time budget, or fail once the budget is spent."""
    attempt = delivery.attempts + 1
    retry_from = delivery.retry_from or at
    left = (retry_from + timedelta(seconds=settings.delivery_budget_s) - at).total_seconds()
    if left <= 0:
        spent = (at - retry_from).total_seconds()
        fail(
            sessions,
            delivery,
            f"gave up after {attempt} attempts in {spent:.0f}s: {error}",
            False,
            at,
        )
        return Outcome("failed")
    delay = backoff(
        attempt,
        base=settings.retry_backoff_s,
        cap=settings.retry_backoff_max_s,
        retry_after=retry_after,
    )
    delay = min(delay, left, longest or left)  # the last attempt falls at the end of the budget
    with transaction(sessions) as session:
        service.schedule_retry(
            session,
            delivery=delivery,
            now=at,
            due_at=at + timedelta(seconds=delay),
            error=error,
            retry_from=retry_from,
            ambiguous=ambiguous,
        )
    metrics.delivery(delivery.channel, "retry")
    log.warning(
        "attempt %d failed, retrying in %.2fs: %s",
        attempt,
        delay,
        error,
        extra={"case_id": delivery.case_id, "delivery_id": delivery.id, "ambiguous": ambiguous},
    )
    return Outcome("retry", retry_in=delay)


def fail(
    sessions: sessionmaker[Session], delivery: Delivery, error: str, permanent: bool, at: datetime
) -> None:
    with transaction(sessions) as session:
        service.mark_failed(session, delivery=delivery, now=at, error=error, permanent=permanent)
    metrics.delivery(delivery.channel, "failed")
    log.error(
        "delivery failed: %s",
        error,
        extra={"case_id": delivery.case_id, "delivery_id": delivery.id, "permanent": permanent},
    )


def after_error(
    sessions: sessionmaker[Session],
    settings: Settings,
    delivery: Delivery,
    exc: Exception,
    now: Callable[[], datetime],
    breaker: Breaker | None = None,
    endpoint: str | None = None,
    started: datetime | None = None,
) -> Outcome:
    """Record a delivery that did not go, by what stopped it: a rate limit, a failure that may
    pass (counted by the endpoint's breaker when it failed sending), one that cannot, or a bug."""
    ids = ids_of(delivery)
    if isinstance(exc, RateLimited):
        pause = exc.retry_after if exc.retry_after is not None else settings.retry_backoff_s
        log.info("rate limited by the channel; waiting %.2fs", pause, extra=ids)
        return wait(sessions, delivery, pause, now(), "rate_limited")
    if isinstance(exc, TransientError):
        state = CLOSED
        if breaker is not None and endpoint is not None and started is not None:
            state = breaker.failure(endpoint, started.timestamp())
        if state == OPENED:
            log.warning("circuit breaker opened for %s", endpoint, extra=ids)
        # While the breaker is open, wake like a held delivery: a long backoff would leave a lone
        # delivery waiting minutes after the channel is back, with no one else to probe.
        longest = hold_wait(settings) if state != CLOSED else None
        ambiguous = isinstance(exc, AmbiguousError)
        return transient(
            sessions, settings, delivery, str(exc), exc.retry_after, now(), ambiguous, longest
        )
    if isinstance(exc, PermanentError):
        fail(sessions, delivery, str(exc), permanent=True, at=now())
        return Outcome("failed")
    # A bug or an outage we did not foresee: count the attempt, leave the retry to the sweep,
    # and let the task fail loudly. It may have sent, so look before the next send.
    error = f"unexpected {type(exc).__name__}"
    transient(sessions, settings, delivery, error, None, now(), ambiguous=True)
    return Outcome("error", error=exc)


def ids_of(delivery: Delivery) -> dict[str, int]:
    """The ids a log line about a delivery carries."""
    return {"case_id": delivery.case_id, "delivery_id": delivery.id}
