"""Clocks that pause: while a case waits on the customer its resolve clock stands still.

Resuming (an owner's click, or the customer answering) moves the resolve deadline on by the
working time the case waited, and adds the wall-clock wait to the case's paused total, which
the KPIs take off its time to resolution. Pure functions; the desk and the router both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.enums import CaseStatus
from shared.sla import BusinessHours, add_business_time, business_time_between


@dataclass(frozen=True)
class Resumption:
    """What ending a pause writes to the case, and what the timeline says about it."""

    resolve_due_at: datetime | None
    paused_seconds: int  # the case's total, this pause included
    waited: timedelta  # wall clock, this pause
    working_time: timedelta  # business time, this pause: how far the deadline moved on


def resume(
    *,
    paused_at: datetime,
    now: datetime,
    resolve_due_at: datetime | None,
    paused_seconds: int,
    hours: BusinessHours | None,
) -> Resumption:
    """End a pause at `now`: the deadline moves on by the working time spent waiting."""
    waited = max(now - paused_at, timedelta(0))
    working = business_time_between(paused_at, now, hours)
    due = None if resolve_due_at is None else add_business_time(resolve_due_at, working, hours)
    if due is not None and not working:
        due = resolve_due_at  # nothing to add: not even a move to the next opening time
    return Resumption(due, paused_seconds + int(waited.total_seconds()), waited, working)


def in_words(span: timedelta) -> str:
    """Say a duration the way the timeline does: '2d 3h 5m', '45m', 'under a minute'."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "m")) if n]
    return " ".join(parts) or "under a minute"


def resumed_updates(resumption: Resumption) -> dict[str, Any]:
    """The case fields a resumption writes: work goes on, the deadline moves on."""
    return {
        "status": CaseStatus.IN_PROGRESS,
        "paused_at": None,
        "paused_seconds": resumption.paused_seconds,
        "resolve_due_at": resumption.resolve_due_at,
    }


def resumed_words(resumption: Resumption) -> dict[str, str]:
    """What the timeline says about a resumption, in words."""
    return {
        "waited": in_words(resumption.waited),
        "deadline_moved_by": in_words(resumption.working_time),
    }
