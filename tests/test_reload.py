"""The one reload-on-change rule: a file is parsed again when, and only when, it changed."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.reload import ReloadOnChange


def write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_file_is_parsed_once_per_change(tmp_path: Path) -> None:
    parsed: list[str] = []

    def load(path: Path) -> str:
        parsed.append(text := path.read_text(encoding="utf-8"))
        return text

    files = ReloadOnChange(load)
    path = tmp_path / "routes.yml"
    write(path, "one", 1_000_000_000)
    assert [files(path), files(path)] == ["one", "one"]
    write(path, "two", 2_000_000_000)
    assert [files(path), files(path)] == ["two", "two"]
    assert parsed == ["one", "two"]


def test_a_broken_edit_raises_and_the_last_good_version_stays_available(tmp_path: Path) -> None:
    def load(path: Path) -> int:
        return int(path.read_text(encoding="utf-8"))

    files = ReloadOnChange(load)
    path = tmp_path / "n"
    assert files.last_good(path) is None
    with pytest.raises(FileNotFoundError):
        files(path)
    write(path, "1", 1_000_000_000)
    assert files(path) == 1
    write(path, "half-saved", 2_000_000_000)
    with pytest.raises(ValueError):
        files(path)
    assert files.last_good(path) == 1


def test_threads_asking_for_a_changed_file_at_once_parse_it_once(tmp_path: Path) -> None:
    """A threaded worker's threads all miss the cache together; one parses, the rest wait."""
    asked = threading.Semaphore(0)

    class Watched(type(tmp_path)):  # type: ignore[misc]
        def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
            asked.release()
            return super().stat(follow_symlinks=follow_symlinks)

    finish = threading.Event()
    parses: list[int] = []

    def load(path: Path) -> str:
        parses.append(1)
        finish.wait()
        return path.read_text(encoding="utf-8")

    files = ReloadOnChange(load)
    path = Watched(tmp_path / "routes.yml")
    write(path, "routes", 1_000_000_000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = [pool.submit(files, path) for _ in range(8)]
        for _ in range(8):  # every thread has looked at the file before the first parse ends
            assert asked.acquire(timeout=30)
        finish.set()
        assert [call.result() for call in calls] == ["routes"] * 8
    assert len(parses) == 1
