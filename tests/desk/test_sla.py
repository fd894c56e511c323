"""SLA maths and config validation, with time given explicitly."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.desk.config import DeskConfigError, parse_business_hours, parse_desk_config
from services.desk.enums import SlaState
from services.desk.sla import SlaView, add_business_time, sla_state, steps_due

HOURS = parse_business_hours(
    {"timezone": "Europe/London", "days": ["mon", "tue", "wed", "thu", "fri"],
     "start": "09:00", "end": "17:00"},
    "business_hours",
)  # fmt: skip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (utc(2026, 3, 2, 10), timedelta(hours=2), utc(2026, 3, 2, 12)),  # inside one day
        (utc(2026, 3, 2, 16), timedelta(hours=2), utc(2026, 3, 3, 10)),  # overnight
        (utc(2026, 3, 6, 16), timedelta(hours=2), utc(2026, 3, 9, 10)),  # over the weekend
        (utc(2026, 3, 7, 12), timedelta(hours=1), utc(2026, 3, 9, 10)),  # starts on Saturday
        (utc(2026, 3, 2, 6), timedelta(hours=1), utc(2026, 3, 2, 10)),  # before opening
        # British Summer Time: 09:00 London is 08:00 UTC.
        (utc(2026, 6, 1, 15), timedelta(hours=2), utc(2026, 6, 2, 9)),
    ],
)
def test_business_time_skips_nights_and_weekends(
    start: datetime, duration: timedelta, due: datetime
) -> None:
    assert add_business_time(start, duration, HOURS) == due


def test_without_business_hours_the_wall_clock_counts() -> None:
    assert add_business_time(utc(2026, 3, 7, 12), timedelta(hours=1), None) == utc(2026, 3, 7, 13)


def test_escalation_steps_are_due_once_each_in_order() -> None:
    config = parse_desk_config(
        {"sla": [{"acknowledge": "1h", "resolve": "1d"}],
         "escalation": [{"to": "owner", "after": 0}, {"to": "team_lead", "after": "2h"},
                        {"to": "champion", "after": "8h"}],
         "root_causes": {"default": ["other"]}}
    )  # fmt: skip
    start = utc(2026, 3, 2, 10)
    assert steps_due(start, start, config.escalation, done=0) == [1]
    assert steps_due(start, start + timedelta(hours=3), config.escalation, done=1) == [2]
    assert steps_due(start, start + timedelta(hours=9), config.escalation, done=1) == [2, 3]
    assert steps_due(start, start + timedelta(days=9), config.escalation, done=3) == []


def test_sla_state_follows_the_outstanding_deadline() -> None:
    now = utc(2026, 3, 2, 12)
    due_soon = timedelta(hours=1)

    def view(status: str = "new", **kw: object) -> SlaView:
        fields = {"ack_due_at": utc(2026, 3, 2, 14), "resolve_due_at": utc(2026, 3, 4, 12),
                  "acknowledged_at": None, "resolved_at": None, **kw}  # fmt: skip
        return SlaView(status=status, **fields)  # type: ignore[arg-type]

    assert sla_state(view(), now, due_soon) == SlaState.ON_TRACK
    assert sla_state(view(ack_due_at=utc(2026, 3, 2, 12, 30)), now, due_soon) == SlaState.DUE_SOON
    assert sla_state(view(ack_due_at=utc(2026, 3, 2, 11)), now, due_soon) == SlaState.OVERDUE
    acked = view("acknowledged", ack_due_at=utc(2026, 3, 2, 11), acknowledged_at=now)
    assert sla_state(acked, now, due_soon) == SlaState.ON_TRACK
    met = view("resolved", resolved_at=utc(2026, 3, 3, 12))
    assert sla_state(met, now, due_soon) == SlaState.MET
    assert sla_state(view("closed", resolved_at=utc(2026, 3, 5)), now, due_soon) == SlaState.MISSED


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"escalation": [{"to": "owner"}], "root_causes": {"default": ["x"]}}, "sla: must be"),
        ({"sla": [{"acknowledge": "soon", "resolve": "1d"}]}, "sla[0].acknowledge"),
        ({"sla": [{"priority": "p9", "acknowledge": "1h", "resolve": "1d"}]}, "sla[0].priority"),
        ({"sla": [{"priority": "p1", "acknowledge": "1h", "resolve": "1d"}]}, "last policy"),
        ({"sla": [{"acknowledge": "1h", "resolve": "1d"}], "escalation": [{"to": "boss"}]},
         "escalation[0].to"),
        ({"sla": [{"acknowledge": "1h", "resolve": "1d"}], "escalation": [{"to": "owner"}],
          "root_causes": {"delivery": ["x"]}}, "root_causes.default"),
        ({"sla": [{"acknowledge": "1h", "resolve": "1d"}], "escalation": [{"to": "owner"}],
          "root_causes": {"default": ["x"]}, "business_hours": {"timezone": "Mars/Olympus"}},
         "business_hours.timezone"),
        ({"sla": [{"acknowledge": "1h", "resolve": "1d"}], "escalation": [{"to": "owner"}],
          "root_causes": {"default": ["x"]}, "colour": "blue"}, "unknown key(s) colour"),
        ({"sla": [{"acknowledge": "1h", "resolve": "1d"}], "escalation": [{"to": "owner"}],
          "root_causes": {"default": ["x"]}, "business_hours": {"holidays": ["25/12/2026"]}},
         "business_hours.holidays[0]: '25/12/2026' is not a date like '2026-12-25'"),
        ({"sla": [{"acknowledge": "1h", "resolve": "1d"}], "escalation": [{"to": "owner"}],
          "root_causes": {"default": ["x"]}, "teams": {"stores": {"holidays": "2026-12-25"}}},
         "teams.stores.holidays: must be a list of dates"),
    ],
)  # fmt: skip
def test_bad_desk_files_fail_naming_the_key(document: dict[str, object], message: str) -> None:
    with pytest.raises(DeskConfigError, match=re.escape(message)):
        parse_desk_config(document)


def test_the_shipped_example_is_valid() -> None:
    from services.desk.config import load_desk_config
    from shared.settings.files import EXAMPLE_DESK

    config = load_desk_config(EXAMPLE_DESK)
    assert config.policy_for(priority="p1", touchpoint="store").business_hours is None
    assert config.root_causes_for("unknown") == config.root_causes["default"]


def test_a_bad_team_holiday_fails_at_start_naming_file_key_and_reason(tmp_path: Path) -> None:
    from services.desk.config import load_desk_config
    from shared.settings.files import EXAMPLE_DESK

    text = EXAMPLE_DESK.read_text(encoding="utf-8").replace(
        "  delivery:\n", "  delivery:\n    holidays: [2026-12-25, 2026-02-30]\n", 1
    )
    path = tmp_path / "desk.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeskConfigError) as failed:
        load_desk_config(path)
    assert str(failed.value) == (
        f"{path}: teams.delivery.holidays[1]: '2026-02-30' is not a date like '2026-12-25'"
    )


def test_the_shipped_example_names_holidays() -> None:
    from services.desk.config import load_desk_config
    from shared.settings.files import EXAMPLE_DESK

    config = load_desk_config(EXAMPLE_DESK)
    hours = config.hours_for(priority="p3", touchpoint="store", team=None)
    assert hours is not None and date(2026, 12, 25) in hours.holidays
