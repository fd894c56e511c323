"""`while_unavailable`: a transaction tried again while the database is down, within a deadline."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.exc import OperationalError

from shared.db import while_unavailable


def _down() -> OperationalError:
    return OperationalError("UPDATE deliveries", {}, Exception("server closed the connection"))


def test_the_work_is_tried_again_with_growing_waits_until_the_database_answers() -> None:
    answers = iter([_down(), _down(), _down(), "done"])

    def work() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    waits: list[float] = []
    result = while_unavailable(
        work, until=time.monotonic() + 60, doing="routing", extra={}, sleep=waits.append
    )
    assert result == "done"
    assert waits == [0.5, 1.0, 2.0]


def test_an_outage_past_the_deadline_raises_for_the_callers_fallback() -> None:
    def work() -> None:
        raise _down()

    waits: list[float] = []
    with pytest.raises(OperationalError):
        while_unavailable(work, until=time.monotonic() + 1, doing="x", extra={}, sleep=waits.append)
    assert waits == [0.5]


def test_an_error_that_is_not_an_outage_is_raised_at_once() -> None:
    def work() -> None:
        raise ValueError("a bug, not an outage")

    waits: list[float] = []
    with pytest.raises(ValueError, match="a bug"):
        while_unavailable(
            work, until=time.monotonic() + 60, doing="x", extra={}, sleep=waits.append
        )
    assert waits == []
