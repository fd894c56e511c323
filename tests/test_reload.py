"""The one reload-on-change rule: a file is parsed again when, and only when, it changed."""

from __future__ import annotations

import os
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
