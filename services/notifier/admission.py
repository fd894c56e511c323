"""Which claimed deliveries may send now: each one's route, its slot in its target's rate limit
and its endpoint's breaker, asked of Redis once per batch (one script for the slots, one for the
breakers). Those that may not send now are set back here."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from services.notifier import setbacks
from services.notifier.breaker import Breaker
from services.notifier.channels import Route, resolve
from services.notifier.message import Alert
from services.notifier.ratelimit import RateLimiter
from services.notifier.setbacks import Outcome
from shared.models import Delivery
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds the lease of, with its alert, and whether a slot is booked."""

    delivery: Delivery
    alert: Alert
    booked: bool


@dataclass(frozen=True)
class Ready:
    """A claimed delivery cleared to send now: its route, and the endpoint behind it."""

    claimed: Claimed
    route: Route
    endpoint: str


def admit(
    sessions: sessionmaker[Session],
    settings: Settings,
    attempts: Sequence[Claimed],
    limiter: RateLimiter | None,
    breaker: Breaker | None,
    now: Callable[[], datetime],
) -> tuple[list[Ready], dict[int, Outcome]]:
    """Clear the batch's deliveries to send: each one's route, its slot in its target's rate
    limit and its endpoint's breaker, one Redis round trip for all the slots and one for all the
    breakers. Those that may not send now are set back here and returned as outcomes."""
    outcomes: dict[int, Outcome] = {}
    ready: list[Ready] = []
    for one in attempts:
        try:
            route = resolve(settings, one.delivery.channel, one.delivery.target)
            ready.append(Ready(one, route, route.channel.endpoint(route.target)))
        except Exception as exc:  # noqa: BLE001 (set back like a failed send)
            outcomes[one.delivery.id] = setbacks.after_error(
                sessions, settings, one.delivery, exc, now
            )
    if limiter is not None:
        ready = _within_rate(sessions, settings, ready, limiter, now, outcomes)
    if breaker is not None:
        ready = _past_breakers(sessions, settings, ready, breaker, now, outcomes)
    return ready, outcomes


def _within_rate(
    sessions: sessionmaker[Session],
    settings: Settings,
    ready: list[Ready],
    limiter: RateLimiter,
    now: Callable[[], datetime],
    outcomes: dict[int, Outcome],
) -> list[Ready]:
    """Take the rate-limit slots of the deliveries that need one; set back those that must wait."""
    asking = [(r, r.route.channel.rate) for r in ready if not r.claimed.booked]
    wanted = [(f"{r.route.channel.type}:{r.route.target}", rate) for r, rate in asking if rate]
    horizon = settings.retry_countdown_max_s
    try:
        waits = iter(limiter.take_each(wanted, book_within=horizon))
    except Exception as exc:  # noqa: BLE001 (every delivery that asked shares the failure)
        for r, rate in asking:
            if rate:
                outcomes[r.claimed.delivery.id] = setbacks.after_error(
                    sessions, settings, r.claimed.delivery, exc, now
                )
        return [r for r in ready if r.claimed.delivery.id not in outcomes]
    for r, rate in asking:
        wait = next(waits) if rate else 0.0
        if wait > 0:
            delivery = r.claimed.delivery
            log.info("target rate limit; waiting %.2fs", wait, extra=setbacks.ids_of(delivery))
            outcome = setbacks.wait(sessions, delivery, wait, now(), "rate_limited")
            outcomes[delivery.id] = replace(outcome, booked=wait <= horizon)
    return [r for r in ready if r.claimed.delivery.id not in outcomes]


def _past_breakers(
    sessions: sessionmaker[Session],
    settings: Settings,
    ready: list[Ready],
    breaker: Breaker,
    now: Callable[[], datetime],
    outcomes: dict[int, Outcome],
) -> list[Ready]:
    """Ask the endpoints' breakers; hold the deliveries an open breaker does not let through
    (all of them, or all but the probe when this batch took the probe slot)."""
    if not ready:
        return ready
    try:
        admits = breaker.admits(r.endpoint for r in ready)
    except Exception as exc:  # noqa: BLE001 (every delivery shares the failure)
        for r in ready:
            outcomes[r.claimed.delivery.id] = setbacks.after_error(
                sessions, settings, r.claimed.delivery, exc, now
            )
        return []
    passing, taken = [], Counter[str]()
    for r in ready:
        if taken[r.endpoint] < admits[r.endpoint]:
            taken[r.endpoint] += 1
            passing.append(r)
        else:
            delivery = r.claimed.delivery
            outcomes[delivery.id] = setbacks.hold(sessions, settings, delivery, r.endpoint, now())
    return passing
