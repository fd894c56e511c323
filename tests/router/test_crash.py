"""Router crash safety: a worker SIGKILLed in the middle of routing loses nothing, doubles nothing.

The task is held mid-flight by a row lock the test takes on the response (PostgreSQL), so the
kill lands exactly while the worker is routing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.celery_app import create_celery
from shared.db import make_engine, make_session_factory
from shared.models import Case, Response
from shared.settings import Settings
from tests.conftest import EXAMPLES
from tests.support.processes import Process, start_worker
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def crash_settings(tmp_path: Path, postgres_url: str, redis_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        redis_url=redis_url,
        routes_file=EXAMPLES / "retailer" / "routes.yml",
        worker_concurrency=1,
        log_format="text",
    )


@pytest.fixture
def pg(crash_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(crash_settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def store(sessions: sessionmaker[Session]) -> int:
    with sessions() as session, session.begin():
        response = Response(
            source="test", external_id="crash-1", submitted_at=datetime.now(UTC), nps=0,
            comment="Nobody answered the phone for an hour.",
        )  # fmt: skip
        session.add(response)
        session.flush()
        return response.id


def hold_mid_task(
    lock: Connection, celery: Celery, sessions: sessionmaker[Session], response_id: int
) -> None:
    """Lock the response row, send its task, and wait until the worker blocks on the lock."""
    lock.execute(text("SELECT id FROM responses WHERE id = :id FOR UPDATE"), {"id": response_id})
    celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])

    def worker_waits() -> bool:
        with sessions() as session:
            waiting = session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            )
            return bool(waiting)

    wait_until(worker_waits)


def cases(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def routed(sessions: sessionmaker[Session], response_id: int) -> bool:
    with sessions() as session:
        response = session.get(Response, response_id)
        return response is not None and response.routed_at is not None


def test_a_killed_pool_child_gives_its_task_back(
    crash_settings: Settings, pg: sessionmaker[Session], tmp_path: Path
) -> None:
    response_id = store(pg)
    worker = start_worker("router", crash_settings, tmp_path)
    try:
        with pg.kw["bind"].connect() as lock, lock.begin():
            hold_mid_task(lock, create_celery(crash_settings), pg, response_id)
            for child in worker.children():
                child.kill()
        wait_until(lambda: routed(pg, response_id))  # redelivered at once, routed by a new child
        assert cases(pg) == 1
    finally:
        worker.stop()


def test_a_killed_worker_loses_nothing_once_one_runs_again(
    crash_settings: Settings, pg: sessionmaker[Session], tmp_path: Path
) -> None:
    response_id = store(pg)
    celery = create_celery(crash_settings)
    first: Process = start_worker("router", crash_settings, tmp_path)
    with pg.kw["bind"].connect() as lock, lock.begin():
        hold_mid_task(lock, celery, pg, response_id)
        first.kill()
    assert not routed(pg, response_id)
    second = start_worker("router", crash_settings, tmp_path)
    try:
        celery.send_task(task_names.SWEEP_UNROUTED)  # what beat sends every sweep_interval_s
        wait_until(lambda: routed(pg, response_id))
        assert cases(pg) == 1
    finally:
        second.stop()
