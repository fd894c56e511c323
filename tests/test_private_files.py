"""The embedded default's data under ./var is private: files 0600, folders 0700, any umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from services.notifier.channels.outbox import OutboxChannel
from shared.db import make_engine, migrate
from shared.embedded import start_redis
from shared.private import own_data_dir
from shared.secret_files import read_or_create
from shared.settings import Settings
from tests.notifier.alerts import alert


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def nothing_for_others(folder: Path) -> list[str]:
    """Every path under folder that its group or others could read, write or enter."""
    return [
        f"{path} {oct(mode(path))}"
        for path in [folder, *folder.rglob("*")]
        if not path.is_socket() and mode(path) & 0o077
    ]


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask (022), which would leave new files world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    url = f"sqlite:///{var / 'cxloop.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # a write leaves the -wal and -shm files beside it
            conn.execute(text("CREATE TABLE probe (x INTEGER)"))
        assert (var / "cxloop.db-wal").exists()
        assert mode(var) == 0o700 and mode(var / "cxloop.db") == 0o600
        assert nothing_for_others(var) == []
    finally:
        engine.dispose()


def test_generated_keys_and_the_outbox_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    assert read_or_create(var / "api-key", create=True)
    OutboxChannel(Settings(data_dir=var)).send(alert(), "ops@example.com")
    assert mode(var / "api-key") == 0o600
    assert mode(var / "outbox") == 0o700
    assert [mode(p) for p in (var / "outbox").iterdir()] == [0o600]
    assert nothing_for_others(var) == []


def test_the_embedded_redis_keeps_its_files_private(tmp_path: Path) -> None:
    sock = tmp_path / "var" / "redis" / "redis.sock"
    proc = start_redis(sock)
    try:
        client = redis.Redis(unix_socket_path=str(sock))
        client.lpush("router", "a queued id")
        client.close()
        assert mode(sock.parent) == 0o700
        assert any(p.is_file() for p in sock.parent.rglob("*"))  # the AOF and the log
        assert nothing_for_others(sock.parent) == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_open_data_folder_from_an_older_start_is_closed(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    assert mode(own_data_dir(var)) == 0o700
