"""Fixtures per concern: real Redis, real databases (SQLite and PostgreSQL), settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

import services.desk.models  # noqa: F401  (desk tables join the metadata)
from shared.db import make_engine, make_session_factory, migrate
from shared.models import Base
from shared.settings import Settings
from tests.support.services import postgres_server, redis_server

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(_redis_server: str) -> Iterator[str]:
    """A real Redis, empty at the start of each test."""
    client = redis.Redis.from_url(_redis_server)
    client.flushdb()
    yield _redis_server
    client.flushdb()


@pytest.fixture(scope="session")
def _postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("pg")) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'cxloop.db'}"
    migrate(url)
    return url


def _empty_tables(url: str) -> None:
    engine = make_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database, once SQLite and once PostgreSQL, emptied after each test."""
    url = request.getfixturevalue(f"_{request.param}_url")
    yield url
    _empty_tables(url)


@pytest.fixture
def sqlite_url(_sqlite_url: str) -> Iterator[str]:
    """Only SQLite, for tests where the database engine does not matter."""
    yield _sqlite_url
    _empty_tables(_sqlite_url)


@pytest.fixture
def postgres_url(_postgres_url: str) -> Iterator[str]:
    """Only PostgreSQL, for tests that need row locks or several concurrent writers."""
    yield _postgres_url
    _empty_tables(_postgres_url)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings for one test: its own data directory, the test database, no Redis."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        redis_url="redis://127.0.0.1:1/0",
        routes_file=EXAMPLES / "retailer" / "routes.yml",
        api_keys=("ingest-write:test-key", "cases-read:test-key"),
        secret_key="test-secret",
        log_format="text",
    )


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory on the test database."""
    engine = make_engine(settings.effective_database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def make_app() -> Iterator[Callable[[Settings], Flask]]:
    """Build web apps (ingest and the desk) from settings; release their connections after."""
    from cxloop.web import create_app

    apps: list[Flask] = []

    def build(settings: Settings) -> Flask:
        app = create_app(settings)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["cxloop"].close()
