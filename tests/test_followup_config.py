"""desk.yml's `follow_up` section: defaults, and a clear error naming file, key and reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from services.desk.config import load_desk_config
from shared.followups.config import FollowUpConfig, load_follow_up, parse_follow_up
from shared.settings.files import EXAMPLE_DESK
from shared.sla import DeskConfigError

EXAMPLES = EXAMPLE_DESK.parent.parent


def test_absent_section_means_no_follow_ups() -> None:
    assert parse_follow_up(None) == FollowUpConfig()
    assert parse_follow_up(None).enabled is False


def test_the_example_files_ask_on_a_0_to_10_scale_after_a_day() -> None:
    for name in ("retailer", "airline"):
        config = load_desk_config(EXAMPLES / name / "desk.yml").follow_up
        assert config.enabled
        assert (config.delay, config.scale, config.satisfied_from) == (timedelta(days=1), "0-10", 7)
        assert config.choices == tuple(range(11))
        assert load_follow_up(EXAMPLES / name / "desk.yml") == config


def test_a_1_to_5_scale_counts_4_and_5_as_satisfied_unless_told_otherwise() -> None:
    config = parse_follow_up({"enabled": True, "scale": "1-5"})
    assert (config.choices, config.satisfied_from) == ((1, 2, 3, 4, 5), 4)


@pytest.mark.parametrize(
    ("section", "said"),
    [
        ({"enabled": "yes"}, "follow_up.enabled: must be true or false"),
        ({"scale": "1-7"}, "follow_up.scale: must be one of 0-10, 1-5"),
        ({"satisfied_from": 11}, "follow_up.satisfied_from: must be a whole number from 1 to 10"),
        ({"scale": "1-5", "satisfied_from": 1}, "from 2 to 5"),
        ({"delay": "soon"}, "follow_up.delay: 'soon' is not a duration"),
        ({"min_days_between": -1}, "follow_up.min_days_between: must be a whole number"),
        ({"min_days_between": True}, "follow_up.min_days_between: must be a whole number"),
        ({"from": "nobody"}, "follow_up.from: must be an email address"),
        ({"question": ""}, "follow_up.question: must be a non-empty text"),
        ({"subject": "Hi\nBcc: x@example.com"}, "follow_up.subject: must be one line"),
        ({"link_expiry": "30m"}, "follow_up.link_expiry: must be at least 1h"),
        ({"channel": "typeform"}, "follow_up.channel: must be one of email"),
        ({"wording": "hi"}, "follow_up: unknown key(s) wording"),
        ([], "follow_up: must be a mapping"),
    ],
)
def test_a_bad_section_fails_at_start_naming_file_key_and_reason(
    tmp_path: Path, section: object, said: str
) -> None:
    desk = yaml.safe_load(EXAMPLE_DESK.read_text(encoding="utf-8"))
    desk["follow_up"] = section
    path = tmp_path / "desk.yml"
    path.write_text(yaml.safe_dump(desk), encoding="utf-8")
    for load in (load_desk_config, load_follow_up):
        with pytest.raises(DeskConfigError) as caught:
            load(path)
        assert str(caught.value).startswith(f"{path}: ")
        assert said in str(caught.value)
