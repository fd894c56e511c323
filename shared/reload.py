"""Config files re-read when they change on disk: the one reload rule every service uses.

A file is parsed again when its modification time changes, so an edited routing, desk or
sources file takes effect at the next task or request without a restart. Errors (a missing
file, a broken edit) propagate; a caller that must keep working through a half-saved edit asks
for `last_good` and logs why it kept it.

Loads are serialised: when a file changes (or on first use) every thread of a threaded worker
asks for it at once, and each parsing the same large YAML file in parallel once took a notifier
from 118 to 210 MB resident for nothing; one thread parses, the others wait for its result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class ReloadOnChange(Generic[T]):
    """A file's parsed form per path, re-parsed with `load` whenever the file's mtime changes."""

    def __init__(self, load: Callable[[Path], T]) -> None:
        self._load = load
        self._loaded: dict[Path, tuple[int, T]] = {}
        self._loading = threading.Lock()

    def __call__(self, path: Path) -> T:
        """Return the parsed file, re-read if it changed; OSError and `load`'s errors propagate."""
        mtime = path.stat().st_mtime_ns
        cached = self._loaded.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        with self._loading:
            cached = self._loaded.get(path)
            if cached is None or cached[0] != mtime:
                cached = self._loaded[path] = (mtime, self._load(path))
            return cached[1]

    def last_good(self, path: Path) -> T | None:
        """Return the last version of the file that parsed, if one ever did."""
        cached = self._loaded.get(path)
        return None if cached is None else cached[1]
