"""When digests are due: local wall-clock times in each team's zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from services.desk.digest_config import DigestConfig, OwnerDigests, Schedule, TeamDigest
from services.desk.digest_schedule import (
    OWNERS,
    TEAM,
    due_digests,
    due_now,
    latest,
    local_instant,
)

CHICAGO, BERLIN, LONDON = (
    ZoneInfo("America/Chicago"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Europe/London"),
)
DAILY = Schedule(time(8, 30))
SIX_HOURS = timedelta(hours=6)
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_a_daily_digest_is_due_from_its_local_time_for_the_catch_up_window() -> None:
    # 08:30 in Berlin is 07:30 UTC in winter.
    assert due_now("daily", DAILY, BERLIN, utc(2026, 11, 30, 7, 29), SIX_HOURS) is None
    found = due_now("daily", DAILY, BERLIN, utc(2026, 11, 30, 7, 30), SIX_HOURS)
    assert found is not None
    assert (found.day, found.due_at, found.since) == (
        date(2026, 11, 30), utc(2026, 11, 30, 7, 30), utc(2026, 11, 29, 7, 30)
    )  # fmt: skip
    late = due_now("daily", DAILY, BERLIN, utc(2026, 11, 30, 13, 29), SIX_HOURS)
    assert late is not None and late.day == date(2026, 11, 30)  # a beat down at 08:30 catches up
    assert due_now("daily", DAILY, BERLIN, utc(2026, 11, 30, 13, 30), SIX_HOURS) is None


def test_the_same_instant_is_due_in_one_zone_and_not_in_another() -> None:
    now = utc(2026, 11, 30, 7, 35)  # 08:35 in Berlin, 07:35 in London, 01:35 in Chicago
    assert due_now("daily", DAILY, BERLIN, now, SIX_HOURS) is not None
    assert due_now("daily", DAILY, LONDON, now, SIX_HOURS) is None
    chicago = latest("daily", DAILY, CHICAGO, now)
    assert chicago.day == date(2026, 11, 29) and chicago.due_at == utc(2026, 11, 29, 14, 30)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (CHICAGO, date(2026, 3, 8), 23),  # spring forward: the local day is 23 hours long
        (CHICAGO, date(2026, 11, 1), 25),  # fall back: 25 hours
        (LONDON, date(2026, 3, 29), 23),
        (LONDON, date(2026, 10, 25), 25),
        (LONDON, date(2026, 6, 1), 24),
    ],
)
def test_a_daily_digest_covers_the_whole_local_day_on_dst_days(
    zone: tzinfo, day: date, hours: int
) -> None:
    found = latest("daily", DAILY, zone, local_instant(day, time(9), zone))
    assert found.day == day
    assert found.due_at.astimezone(zone).time() == time(8, 30)
    assert found.since.astimezone(zone).time() == time(8, 30)
    assert found.due_at - found.since == timedelta(hours=hours)


def test_a_time_the_clocks_skip_is_due_an_hour_later_once() -> None:
    skipped = Schedule(time(2, 30))  # 02:00 jumps to 03:00 in Chicago on 8 March 2026
    found = latest("daily", skipped, CHICAGO, utc(2026, 3, 8, 12))
    assert found.day == date(2026, 3, 8)
    assert found.due_at == utc(2026, 3, 8, 8, 30)  # 03:30 CDT
    assert found.due_at.astimezone(CHICAGO).time() == time(3, 30)


def test_a_time_that_happens_twice_is_due_at_its_first_occurrence_only() -> None:
    repeated = Schedule(time(1, 30))  # 02:00 falls back to 01:00 in Chicago on 1 November 2026
    first = latest("daily", repeated, CHICAGO, utc(2026, 11, 1, 6, 31))  # 01:31 CDT
    second = latest("daily", repeated, CHICAGO, utc(2026, 11, 1, 7, 31))  # 01:31 CST
    assert first.day == second.day == date(2026, 11, 1)
    assert first.due_at == second.due_at == utc(2026, 11, 1, 6, 30)


@pytest.mark.parametrize(
    ("zone", "start", "at"),
    [
        (CHICAGO, date(2026, 3, 5), time(8, 30)),
        (CHICAGO, date(2026, 10, 29), time(1, 30)),
        (CHICAGO, date(2026, 3, 5), time(2, 30)),
        (LONDON, date(2026, 3, 26), time(1, 15)),
        (LONDON, date(2026, 10, 22), time(0, 0)),
        (BERLIN, date(2026, 10, 22), time(23, 55)),
    ],
)
def test_a_beat_every_five_minutes_finds_each_local_day_due_once_and_on_time(
    zone: tzinfo, start: date, at: time
) -> None:
    """A week across a DST change: every local day's digest becomes due, none twice or late."""
    schedule, step = Schedule(at), timedelta(minutes=5)
    begin = local_instant(start, time(0), zone)
    now, end = begin, local_instant(start + timedelta(7), time(0), zone)
    first_seen: dict[date, datetime] = {}
    due_at: dict[date, datetime] = {}
    while now < end:
        found = due_now("daily", schedule, zone, now, SIX_HOURS)
        if found is not None:
            first_seen.setdefault(found.day, now)
            assert due_at.setdefault(found.day, found.due_at) == found.due_at
        now += step
    days = sorted(day for day in first_seen if due_at[day] >= begin)  # not the day before
    assert days == [start + timedelta(n) for n in range(7)]
    for day in days:
        assert timedelta(0) <= first_seen[day] - due_at[day] < step


def test_a_weekly_digest_is_due_on_its_weekday_and_covers_seven_days() -> None:
    monday = Schedule(time(9), weekday=0)
    wednesday = utc(2026, 12, 2, 12)
    found = latest("weekly", monday, BERLIN, wednesday)
    assert found.day == date(2026, 11, 30) and found.due_at == utc(2026, 11, 30, 8)
    assert found.due_at - found.since == timedelta(days=7)
    assert due_now("weekly", monday, BERLIN, wednesday, SIX_HOURS) is None
    assert due_now("weekly", monday, BERLIN, utc(2026, 11, 30, 8, 5), SIX_HOURS) == found
    sunday_before = latest("weekly", monday, BERLIN, utc(2026, 11, 30, 7, 59))
    assert sunday_before.day == date(2026, 11, 23)


def test_a_weekly_span_across_a_dst_change_is_seven_local_days() -> None:
    monday = Schedule(time(9), weekday=0)
    found = latest("weekly", monday, CHICAGO, utc(2026, 3, 9, 15))  # the Monday after
    assert found.day == date(2026, 3, 9)
    assert found.due_at - found.since == timedelta(days=7) - H
    assert found.since.astimezone(CHICAGO).time() == time(9)


def test_due_digests_lists_teams_and_owner_groups_each_in_their_zone() -> None:
    config = DigestConfig(
        schedules={"daily": DAILY, "weekly": Schedule(time(8, 30), weekday=0)},
        teams={"berlin": TeamDigest(("daily", "weekly"), (("email", "b@example.com"),)),
               "chicago": TeamDigest(("daily",), (("email", "c@example.com"),))},
        owners=OwnerDigests(("daily",), ("email",)),
    )  # fmt: skip
    zones = {"berlin": BERLIN, "chicago": CHICAGO}

    def zone_of(team: str | None) -> tzinfo:
        return zones.get(team or "", LONDON)

    now = utc(2026, 11, 30, 8, 40)  # Monday: 09:40 Berlin, 08:40 London, 02:40 Chicago
    due = due_digests(config, now=now, zone_of=zone_of, owner_teams=("chicago", None, "berlin"))
    assert [(d.audience, d.team, d.occurrence.period) for d in due] == [
        (TEAM, "berlin", "daily"),
        (TEAM, "berlin", "weekly"),
        (OWNERS, "berlin", "daily"),
        (OWNERS, None, "daily"),  # owners without a team follow the desk's zone (London)
    ]
    assert due_digests(DigestConfig(), now=now, zone_of=zone_of, owner_teams=(None,)) == []
