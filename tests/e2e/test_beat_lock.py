"""Only one beat runs: real `cxloop beat` processes contending for the lock in a real Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from shared.beat_lock import KEY
from shared.settings import Settings
from tests.e2e.harness import READY_TEXT
from tests.support.processes import Process
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

WAITING = "another beat is running"
STARTED = READY_TEXT["beat"]


def beat(settings: Settings, log_dir: Path, name: str) -> Process:
    """A beat process (not yet started) logging to its own file."""
    return Process(["beat"], settings, log_dir / f"{name}.log")


@pytest.fixture
def beat_settings(tmp_path: Path, redis_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", redis_url=redis_url, log_format="text", beat_lock_ttl_s=3
    )


def test_a_second_beat_waits_until_the_first_one_dies_then_takes_over(
    tmp_path: Path, beat_settings: Settings
) -> None:
    first = beat(beat_settings, tmp_path, "first").start(ready=STARTED)
    second = beat(beat_settings, tmp_path, "second").start()
    try:
        second.wait_for(WAITING, timeout=30)
        assert first.proc is not None
        assert f":{first.proc.pid}:" in second.output()  # it names the holder
        assert STARTED not in second.output()
        first.kill()  # no release: the lock lapses after its TTL
        second.wait_for(STARTED, timeout=30)
        assert second.proc is not None and second.proc.poll() is None
    finally:
        first.stop()
        second.stop()


def test_a_stopped_beat_hands_over_at_once(tmp_path: Path, beat_settings: Settings) -> None:
    settings = beat_settings.with_(beat_lock_ttl_s=600)  # only a release can free it in time
    first = beat(settings, tmp_path, "first").start(ready=STARTED)
    second = beat(settings, tmp_path, "second").start()
    try:
        second.wait_for(WAITING, timeout=30)
        first.stop()
        second.wait_for(STARTED, timeout=60)
    finally:
        first.stop()
        second.stop()


def test_a_beat_that_lost_its_lock_stops(
    tmp_path: Path, beat_settings: Settings, redis_url: str
) -> None:
    running = beat(beat_settings, tmp_path, "running").start(ready=STARTED)
    try:
        redis.Redis.from_url(redis_url).set(KEY, "another-host:1:taken", ex=60)
        running.wait_for("lost the beat lock", timeout=30)
        assert running.proc is not None
        wait_until(lambda: running.proc.poll() is not None, 30, "the beat to stop")  # type: ignore[union-attr]
    finally:
        running.stop()
