"""The `digests` section of desk.yml: read as written, refused with the key and the reason."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.desk.config import DeskConfigError, load_desk_config, parse_desk_config
from services.desk.digest_config import DigestConfig, Schedule
from shared.settings.files import EXAMPLE_DESK

BASE: dict[str, Any] = {
    "sla": [{"acknowledge": "1h", "resolve": "1d"}],
    "escalation": [{"to": "owner"}],
    "root_causes": {"default": ["other"]},
    "teams": {"delivery": {"receivers": ["delivery-team"], "timezone": "Europe/Berlin"},
              "stores": {"receivers": ["stores-team"]}},
}  # fmt: skip


def desk(digests: Any) -> dict[str, Any]:
    return BASE | {"digests": digests}


def test_a_full_section_is_read_as_written() -> None:
    config = parse_desk_config(
        desk({
            "daily": {"at": "08:30"},
            "weekly": {"day": "fri", "at": "16:00"},
            "catch_up": "2h",
            "themes_lookback": "14d",
            "teams": {"delivery": {"periods": ["daily"], "email": ["leads@example.com"],
                                   "slack": [{"webhook_url_env": "HOOK"}, {"channel": "#cx"}]}},
            "owners": {"periods": ["weekly"], "channels": ["slack"]},
        })
    ).digests  # fmt: skip
    assert config.schedules == {"daily": Schedule(time(8, 30)), "weekly": Schedule(time(16), 4)}
    team = config.teams["delivery"]
    assert team.periods == ("daily",)
    assert team.targets == (("email", "leads@example.com"), ("slack", "webhook:HOOK"),
                            ("slack", "channel:#cx"))  # fmt: skip
    assert config.owners.periods == ("weekly",) and config.owners.channels == ("slack",)
    assert (config.catch_up, config.themes_lookback) == (timedelta(hours=2), timedelta(days=14))


def test_without_the_section_no_digest_is_configured() -> None:
    assert parse_desk_config(BASE).digests == DigestConfig()


def test_a_team_without_periods_gets_every_scheduled_one() -> None:
    config = parse_desk_config(
        desk({"daily": {"at": "07:00"}, "weekly": {"day": "mon", "at": "07:00"},
              "teams": {"stores": {"email": ["s@example.com"]}}})
    ).digests  # fmt: skip
    assert config.teams["stores"].periods == ("daily", "weekly")


DAILY = {"daily": {"at": "08:30"}}


@pytest.mark.parametrize(
    ("digests", "message"),
    [
        ("daily at nine", "digests: must be a mapping"),
        ({"hourly": {"at": "08:00"}}, "digests: unknown key(s) hourly"),
        ({"daily": {"at": "8:30"}}, "digests.daily.at: '8:30' is not a local time like '08:30'"),
        ({"daily": {"at": "25:00"}}, "digests.daily.at: '25:00' is not a local time"),
        ({"daily": {"at": "08:30:15"}}, "digests.daily.at: '08:30:15' is not a local time"),
        ({"daily": {"at": 510}}, 'digests.daily.at: quote the time, as in at: "08:30"'),
        ({"daily": {}}, "digests.daily.at: required"),
        ({"weekly": {"at": "08:00", "day": "someday"}}, "digests.weekly.day: must be one of mon"),
        ({"weekly": {"at": "08:00", True: "mon"}}, "digests.weekly: YAML reads a bare `on`"),
        ({"daily": {"at": "08:00", "day": "mon"}}, "digests.daily: unknown key(s) day"),
        (DAILY | {"teams": {"nobody": {"email": ["a@example.com"]}}},
         "digests.teams.nobody: no team 'nobody' under teams"),
        (DAILY | {"teams": {"stores": {}}}, "digests.teams.stores: needs at least one email"),
        (DAILY | {"teams": {"stores": {"email": ["not-an-address"]}}},
         "digests.teams.stores.email[0]: 'not-an-address' is not an email address"),
        (DAILY | {"teams": {"stores": {"email": "a@example.com"}}},
         "digests.teams.stores.email: must be a list"),
        (DAILY | {"teams": {"stores": {"slack": [{"webhook": "X"}]}}},
         "digests.teams.stores.slack[0]: unknown key(s) webhook"),
        (DAILY | {"teams": {"stores": {"slack": [{}]}}},
         "digests.teams.stores.slack[0]: needs webhook_url_env or channel"),
        (DAILY | {"teams": {"stores": {"periods": ["weekly"], "email": ["a@example.com"]}}},
         "digests.teams.stores.periods: 'weekly' has no schedule (add digests.weekly)"),
        (DAILY | {"teams": {"stores": {"periods": [], "email": ["a@example.com"]}}},
         "digests.teams.stores.periods: must be a non-empty list of daily, weekly"),
        (DAILY | {"owners": {"periods": ["daily"], "channels": ["pager"]}},
         "digests.owners.channels: must be a non-empty list of email, slack"),
        (DAILY | {"owners": {"channels": ["email"]}}, "digests.owners.periods: must be"),
        (DAILY | {"catch_up": "1m"}, "digests.catch_up: must be between 5m and 23h"),
        (DAILY | {"catch_up": "soon"}, "digests.catch_up: 'soon' is not a duration"),
        (DAILY | {"themes_lookback": "2h"}, "digests.themes_lookback: must be at least 1d"),
    ],
)  # fmt: skip
def test_a_bad_section_fails_naming_the_key_and_the_reason(digests: Any, message: str) -> None:
    with pytest.raises(DeskConfigError, match=re.escape(message)):
        parse_desk_config(desk(digests))


def test_a_bad_file_names_the_file_too(tmp_path: Path) -> None:
    path = tmp_path / "desk.yml"
    path.write_text(yaml.safe_dump(desk({"daily": {"at": "noon"}})), encoding="utf-8")
    with pytest.raises(DeskConfigError, match=re.escape(f"{path}: digests.daily.at: 'noon'")):
        load_desk_config(path)


def test_a_bare_on_written_in_yaml_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "desk.yml"
    text = yaml.safe_dump(BASE) + 'digests:\n  weekly: {on: mon, at: "08:00"}\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeskConfigError, match="use `day: mon`"):
        load_desk_config(path)


def test_the_shipped_example_schedules_team_and_owner_digests() -> None:
    config = load_desk_config(EXAMPLE_DESK).digests
    assert set(config.schedules) == {"daily", "weekly"}
    assert "delivery" in config.teams and config.owners.periods
