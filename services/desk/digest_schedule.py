"""Which digests are due now: pure maths over local wall-clock times in each team's time zone.

A digest is due from its local time until `catch_up` later, so a beat that was down at 08:30
still sends it at 09:10. Its key names the local day it belongs to, and a key is sent once,
so a beat running every few minutes, two beats or a redelivered task never send it twice.
DST: a local time the clocks skip (02:30 on the spring-forward night) falls an hour later,
one that happens twice (the autumn night) counts once, at its first occurrence; a day of 23
or 25 hours is still one daily digest covering the whole local day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from services.desk.digest_config import DigestConfig, Schedule

TEAM, OWNERS = "team", "owners"


@dataclass(frozen=True)
class Occurrence:
    """One scheduled digest: its local day, when it is due, and the span it covers (UTC)."""

    period: str
    day: date  # the local date it was due on, which its key names
    due_at: datetime
    since: datetime  # the previous occurrence: the digest covers [since, due_at)


@dataclass(frozen=True)
class DueDigest:
    """A digest to send now: a team's, or those of the owners in a team (None: no team)."""

    audience: str  # TEAM or OWNERS
    team: str | None
    occurrence: Occurrence


def local_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """Return the UTC instant a local wall-clock time names on a day (DST-safe, see above)."""
    # fold=0 reads a repeated time as its first occurrence, and a skipped one with the offset
    # from before the change, which is the hour after it on the new clock.
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def _step(schedule: Schedule) -> int:
    return 1 if schedule.weekday is None else 7


def latest(period: str, schedule: Schedule, zone: tzinfo, now: datetime) -> Occurrence:
    """Return the period's most recent occurrence at or before `now`."""
    today = now.astimezone(zone).date()
    back = 0 if schedule.weekday is None else (today.weekday() - schedule.weekday) % 7
    day = today - timedelta(days=back)
    if local_instant(day, schedule.at, zone) > now:
        day -= timedelta(days=_step(schedule))
    return occurrence_on(period, schedule, zone, day)


def occurrence_on(period: str, schedule: Schedule, zone: tzinfo, day: date) -> Occurrence:
    """Return the occurrence due on a local day, covering the span since the one before it."""
    before = day - timedelta(days=_step(schedule))
    return Occurrence(
        period, day, local_instant(day, schedule.at, zone), local_instant(before, schedule.at, zone)
    )


def due_now(
    period: str, schedule: Schedule, zone: tzinfo, now: datetime, catch_up: timedelta
) -> Occurrence | None:
    """Return the occurrence due at `now` (within `catch_up` of its time), else None."""
    found = latest(period, schedule, zone, now)
    return found if now - found.due_at < catch_up else None


def due_digests(
    config: DigestConfig,
    *,
    now: datetime,
    zone_of: Callable[[str | None], tzinfo],
    owner_teams: tuple[str | None, ...] = (),
) -> list[DueDigest]:
    """List every digest due at `now`: each team's, and the owners' per team time zone.

    `owner_teams` names the teams that have owners (None: owners without a team); `zone_of`
    gives a team's time zone (None: the desk's), as `DeskConfig.timezone_of` does.
    """
    due: list[DueDigest] = []
    for team, spec in sorted(config.teams.items()):
        zone = zone_of(team)
        for period in spec.periods:
            found = due_now(period, config.schedules[period], zone, now, config.catch_up)
            if found is not None:
                due.append(DueDigest(TEAM, team, found))
    for group in sorted(set(owner_teams), key=lambda t: (t is None, t or "")):
        zone = zone_of(group)
        for period in config.owners.periods:
            found = due_now(period, config.schedules[period], zone, now, config.catch_up)
            if found is not None:
                due.append(DueDigest(OWNERS, group, found))
    return due
