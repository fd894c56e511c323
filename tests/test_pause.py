"""Clocks that pause, and the working time they count: holidays, daylight saving, the shift."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.pause import in_words, resume
from shared.sla import (
    DeskConfigError,
    add_business_time,
    business_time_between,
    deadlines_for,
    parse_business_hours,
    parse_holidays,
    parse_sla_rules,
)

LONDON = parse_business_hours(
    {"timezone": "Europe/London", "start": "09:00", "end": "17:00",
     "holidays": ["2026-12-25", date(2026, 12, 28)]},
    "business_hours",
)  # fmt: skip
ROUND_THE_CLOCK = parse_business_hours(
    {"timezone": "Europe/London", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
     "start": "00:00", "end": "23:59"},
    "business_hours",
)  # fmt: skip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_holidays_are_skipped_like_weekends() -> None:
    # Thursday 24 December 16:00 + 2h: the 25th is a holiday, then the weekend, then the 28th.
    assert add_business_time(utc(2026, 12, 24, 16), timedelta(hours=2), LONDON) == utc(
        2026, 12, 29, 10
    )
    assert business_time_between(utc(2026, 12, 24, 16), utc(2026, 12, 29, 10), LONDON) == (
        timedelta(hours=2)
    )


def test_the_clocks_going_forward_do_not_add_an_hour() -> None:
    # Friday 27 March 2026 16:00 GMT; Monday 30 March opens at 09:00 BST, which is 08:00 UTC.
    assert add_business_time(utc(2026, 3, 27, 16), timedelta(hours=2), LONDON) == utc(
        2026, 3, 30, 9
    )
    assert business_time_between(utc(2026, 3, 27, 16), utc(2026, 3, 30, 10), LONDON) == (
        timedelta(hours=3)
    )


def test_a_working_day_that_loses_an_hour_counts_the_real_time() -> None:
    # Sunday 29 March 2026 is 23 hours long in London: 00:00 to 12:00 local is 11 real hours.
    midnight, noon_bst = utc(2026, 3, 29, 0), utc(2026, 3, 29, 11)
    assert business_time_between(midnight, noon_bst, ROUND_THE_CLOCK) == timedelta(hours=11)
    assert add_business_time(midnight, timedelta(hours=11), ROUND_THE_CLOCK) == noon_bst


def test_working_time_between_is_zero_backwards_and_wall_clock_without_hours() -> None:
    assert business_time_between(utc(2026, 3, 3), utc(2026, 3, 2), LONDON) == timedelta(0)
    assert business_time_between(utc(2026, 3, 7, 9), utc(2026, 3, 8, 9), None) == timedelta(days=1)
    assert business_time_between(utc(2026, 3, 7, 9), utc(2026, 3, 8, 9), LONDON) == timedelta(0)


def test_resuming_moves_the_deadline_on_by_the_working_time_waited() -> None:
    # Waited Tuesday 16:00 to Wednesday 10:00: one working hour each day.
    done = resume(
        paused_at=utc(2026, 3, 3, 16), now=utc(2026, 3, 4, 10),
        resolve_due_at=utc(2026, 3, 5, 15), paused_seconds=600, hours=LONDON,
    )  # fmt: skip
    assert done.working_time == timedelta(hours=2)
    assert done.resolve_due_at == utc(2026, 3, 5, 17)
    assert done.waited == timedelta(hours=18)
    assert done.paused_seconds == 600 + 18 * 3600


def test_a_weekend_wait_moves_nothing_but_still_counts_as_waited() -> None:
    done = resume(
        paused_at=utc(2026, 3, 7, 10), now=utc(2026, 3, 8, 10),
        resolve_due_at=utc(2026, 3, 9, 17), paused_seconds=0, hours=LONDON,
    )  # fmt: skip
    assert done.resolve_due_at == utc(2026, 3, 9, 17)
    assert done.paused_seconds == 24 * 3600


def test_a_case_overdue_when_it_began_waiting_stays_as_late_after_it() -> None:
    done = resume(
        paused_at=utc(2026, 3, 2, 12), now=utc(2026, 3, 2, 15),
        resolve_due_at=utc(2026, 3, 2, 10), paused_seconds=0, hours=None,
    )  # fmt: skip
    assert done.resolve_due_at == utc(2026, 3, 2, 13)  # still 2 hours late, as when it paused


def test_team_holidays_add_to_the_business_hours_of_that_team_only() -> None:
    rules = parse_sla_rules(
        {"business_hours": {"timezone": "Europe/London"},
         "sla": [{"acknowledge": "2h", "resolve": "1d"}],
         "teams": {"stores": {"receivers": ["stores-team"], "holidays": ["2026-03-03"]},
                   "delivery": {"receivers": ["delivery-team"]}}}
    )  # fmt: skip
    monday_4pm = utc(2026, 3, 2, 16)
    stores = deadlines_for(rules, priority="p2", touchpoint="x", created_at=monday_4pm,
                           team="stores")  # fmt: skip
    delivery = deadlines_for(rules, priority="p2", touchpoint="x", created_at=monday_4pm,
                             team="delivery")  # fmt: skip
    assert stores is not None and delivery is not None
    assert delivery.acknowledge == utc(2026, 3, 3, 10)
    assert stores.acknowledge == utc(2026, 3, 4, 10)  # Tuesday is the stores' day off
    assert rules.receiver_teams["stores-team"] == "stores"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-12-25", "business_hours.holidays: must be a list of dates"),
        (["2026-13-01"], "business_hours.holidays[0]: '2026-13-01' is not a date"),
        (["2026-12-25", "Christmas"], "business_hours.holidays[1]: 'Christmas' is not a date"),
        ([datetime(2026, 12, 25, 9)], "business_hours.holidays[0]:"),
        ([20261225], "business_hours.holidays[0]: 20261225 is not a date"),
    ],
)
def test_bad_holidays_are_refused_naming_the_entry(value: object, message: str) -> None:
    with pytest.raises(DeskConfigError, match=re.escape(message)):
        parse_holidays(value, "business_hours.holidays")


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(seconds=30), "under a minute"),
        (timedelta(minutes=45), "45m"),
        (timedelta(days=2, hours=3, minutes=5), "2d 3h 5m"),
        (timedelta(hours=24), "1d"),
    ],
)
def test_durations_in_words(span: timedelta, text: str) -> None:
    assert in_words(span) == text
