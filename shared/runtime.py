"""Per-process resources (engine, sessions) built lazily from settings, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.db import make_engine, make_session_factory
from shared.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """Database handles for one process; rebuilt after a fork so connections are never shared."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]


@cache
def _build(settings: Settings, pid: int) -> Runtime:
    # A connection per notifier thread, so no send waits for one (opened only when needed).
    engine = make_engine(
        settings.effective_database_url, pool_size=max(5, settings.notifier_concurrency)
    )
    return Runtime(settings=settings, engine=engine, sessions=make_session_factory(engine))


# The same settings object asks again on every task: found by identity, it is not hashed (about
# 2% of a routed response's CPU went to hashing every field of the settings).
_seen: dict[tuple[int, int], tuple[Settings, Runtime]] = {}


def runtime(settings: Settings) -> Runtime:
    """Return this process's runtime for these settings."""
    key = (id(settings), os.getpid())
    seen = _seen.get(key)
    if seen is not None and seen[0] is settings:
        return seen[1]
    built = _build(settings, key[1])
    _seen[key] = (settings, built)  # holding the settings keeps their id from being reused
    return built
