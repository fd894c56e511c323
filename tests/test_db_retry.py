"""The database connection: work tried again while it is down, idle connections tested first."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from shared import db
from shared.db import make_engine, while_unavailable


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


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    other = make_engine(url, pool_size=1)
    with other.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


@pytest.fixture
def one_connection(postgres_url: str) -> Iterator[Engine]:
    """An engine whose pool holds a single PostgreSQL connection, so every use reuses it."""
    engine = make_engine(postgres_url, pool_size=1)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(
    one_connection: Engine, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database restart kills idle pooled connections; the next user must not get the error."""
    dead = _backend_pid(one_connection)
    _terminate(postgres_url, dead)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", -1.0)  # it has been idle "long enough"
    assert _backend_pid(one_connection) != dead


@pytest.mark.postgres
def test_a_connection_in_use_a_moment_ago_is_not_pinged_again(
    one_connection: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load every checkout used to cost a round trip; a busy pool now pays none."""
    engine = one_connection
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(conn: object) -> bool:
        pings.append(conn)
        return ping(conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 3600.0)  # however slow the machine is
    for _ in range(5):
        _backend_pid(engine)
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", -1.0)
    _backend_pid(engine)
    assert len(pings) == 1


@pytest.mark.postgres
def test_every_execution_is_planned_for_its_own_parameters(one_connection: Engine) -> None:
    """A statement run often is prepared by psycopg; PostgreSQL must not fall back to a generic
    plan, made once and kept for the connection's life however much the tables grow since."""
    statement = text("SELECT count(*) FROM pg_class WHERE relname = :name AND relpages >= :pages")
    with one_connection.connect() as conn:
        for n in range(12):  # psycopg prepares from the 5th; PostgreSQL weighs generic from the 6th
            conn.execute(statement, {"name": f"t{n}", "pages": n}).scalar_one()
        plans = conn.execute(
            text("SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                 " WHERE statement LIKE '%relpages >=%'")
        ).one()  # fmt: skip
    assert plans.generic_plans == 0 and plans.custom_plans >= 5
