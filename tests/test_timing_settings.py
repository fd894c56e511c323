"""Settings refuse timings under which Redis would run a task twice."""

from __future__ import annotations

import pytest

from shared.settings import Settings


def test_the_shipped_timings_keep_countdown_and_run_within_the_visibility_timeout() -> None:
    shipped = Settings()
    busiest = shipped.retry_countdown_max_s + shipped.task_time_limit_s
    assert busiest < shipped.visibility_timeout_s


@pytest.mark.parametrize(
    "changes",
    [
        {"visibility_timeout_s": 100},  # 60 s countdown + 120 s run
        {"task_time_limit_s": 300},
        {"retry_countdown_max_s": 250},
    ],
)
def test_a_countdown_plus_run_longer_than_the_visibility_timeout_is_refused(
    changes: dict[str, int],
) -> None:
    with pytest.raises(ValueError) as refused:
        Settings().with_(**changes)
    message = str(refused.value)
    for name in ("RETRY_COUNTDOWN_MAX_S", "TASK_TIME_LIMIT_S", "VISIBILITY_TIMEOUT_S"):
        assert f"CXLOOP_{name}" in message


def test_the_environment_is_checked_too() -> None:
    with pytest.raises(ValueError, match="CXLOOP_VISIBILITY_TIMEOUT_S"):
        Settings.from_env({"CXLOOP_VISIBILITY_TIMEOUT_S": "60"})
