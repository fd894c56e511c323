"""`cxloop model list|train|rollback`, run as an operator would: a subprocess."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.db import make_engine, make_session_factory
from tests.router.test_cli import RETAILER, cxloop
from tests.router.test_model_service import confirm, correct, described, zipbox


@pytest.fixture
def sqlite_sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_train_list_and_roll_back_from_the_command_line(
    sqlite_url: str, sqlite_sessions: sessionmaker[Session]
) -> None:
    env = {"CXLOOP_DATABASE_URL": sqlite_url, "CXLOOP_ROUTES_FILE": str(RETAILER)}
    untrained = cxloop("model", "train", env=env)
    assert untrained.returncode == 1 and "nothing to train" in untrained.stderr

    correct(sqlite_sessions, zipbox(0, 60))
    confirm(sqlite_sessions, described(60))
    trained = cxloop("model", "train", env=env)
    assert trained.returncode == 0, trained.stderr
    assert trained.stdout.split()[:2] == ["v1", "active"]
    assert "120 examples (60 corrected, 60 closed as routed)" in trained.stdout
    assert "beats descriptions alone" in cxloop("model", "list", env=env).stdout

    rolled = cxloop("model", "rollback", env=env)
    assert rolled.stdout.strip() == "v1 retired; descriptions alone are used"
