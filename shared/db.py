"""Engine and session factory, built from settings; migrations applied with Alembic."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from shared.backoff import backoff
from shared.private import private_file

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
T = TypeVar("T")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Errors that mean "the database cannot serve us now", not "this request is wrong".
UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,  # the connection pool stayed exhausted
)
_REASONS = (
    ("terminating connection", "the server ended the connection"),
    ("server closed the connection", "the server ended the connection"),
    ("connection refused", "connection refused"),
    ("timeout", "timed out"),
    ("timed out", "timed out"),
    ("does not exist", "the database or its role does not exist"),
    ("authentication failed", "authentication failed"),
    ("too many clients", "too many connections"),
    ("starting up", "the server is starting up"),
    ("shutting down", "the server is shutting down"),
    ("unable to open database file", "cannot open the database file"),
    ("database is locked", "the database is locked"),
    ("disk i/o error", "disk I/O error"),
    ("no such table", "the schema is missing (run cxloop migrate)"),
)


def unavailable_reason(error: BaseException) -> str:
    """Say in a few words why the database is unavailable, without its host, user or query."""
    text = str(getattr(error, "orig", None) or error).lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return f"unreachable ({type(error).__name__})"


def while_unavailable(
    work: Callable[[], T],
    *,
    until: float,
    doing: str,
    extra: Mapping[str, object],
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `work` (one whole transaction), again while the database is unavailable, until
    `until` (time.monotonic): waits of 0.5, 1, 2 s, then every 5 s, each logged with why and
    what was being done. Past `until` the error is raised, for the caller's fallback."""
    attempt = 0
    while True:
        try:
            return work()
        except UNAVAILABLE as error:
            wait = backoff(attempt, base=0.5, cap=5.0)
            attempt += 1
            if time.monotonic() + wait > until:
                raise
            log.warning("%s: the database is %s; trying again in %.1fs",
                        doing, unavailable_reason(error), wait, extra=dict(extra))  # fmt: skip
            sleep(wait)


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so several processes can share it."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():  # SQLite's WAL and SHM files take the database file's mode
                private_file(path)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling breaks savepoints).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Take the write lock up front: several processes write, and a deferred
            # transaction upgrading to a writer fails at once instead of waiting.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # hide_parameters: a failing statement's error (and so its log line) must not carry the
    # bound values, which are customer text.
    engine = create_engine(url, pool_size=pool_size, hide_parameters=True)
    _ping_when_idle(engine)
    _plan_each_execution(engine)

    @event.listens_for(engine, "do_connect")
    def _name_connection(_dialect, _record, _cargs, cparams):  # type: ignore[no-untyped-def]
        # pg_stat_activity then tells which process holds a connection (or waits on a lock).
        cparams.setdefault("application_name", f"cxloop[{os.getpid()}]")

    return engine


def _plan_each_execution(engine: Engine) -> None:
    """Have PostgreSQL plan every statement for its own parameters and today's statistics.

    psycopg prepares a statement run five times on a connection, and PostgreSQL then keeps a
    generic plan for it if that looks no dearer: a plan chosen while a table was nearly empty,
    kept for the life of a pooled connection (days). One such plan for the router's
    repeat-complainer count joined every case to every response of the last 60 days, 200 ms
    a response once 4,000 were stored, and one router under a backlog routed 6 to 9 responses a
    second instead of about 90 (docs/benchmarks.md, "a plan made on an empty table"). Planning
    anew costs PostgreSQL about 20 µs per lookup by key and 0.3 ms for the notifier's claim read
    (three tables), about 0.9 ms per alerted response in all ("where the CPU goes"); the parse
    is still saved.
    """

    @event.listens_for(engine, "connect")
    def _custom_plans(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True  # a session setting, not part of a transaction
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.autocommit = autocommit


# A pooled connection that sat unused longer than this is pinged before use; a busy one is not.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only if it sat idle (SQLAlchemy's pre-ping, rationed).

    `pool_pre_ping` pays a round trip on every checkout: under load that was a sixth of an ingest
    request's time, for connections used a few milliseconds before. A connection idle longer than
    PING_AFTER_IDLE_S (across a database restart, say) is still tested first and replaced if dead;
    one that breaks while in use fails its statement, which invalidates the whole pool as before.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_S:
            return  # new (just connected) or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"pooled connection failed its ping: {error}") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    """Alembic config pointing at the shipped migrations and the given database.

    Alembic is imported here, not with the module: it brings Mako and Pygments, which only the
    processes that migrate need (every worker imports this module)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Apply every migration up to head (safe to run on each start)."""
    if url.startswith("sqlite:///"):
        _enable_wal(url)
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def _enable_wal(url: str) -> None:
    """Switch a SQLite file to WAL once (it persists), so readers never block the writer."""
    import sqlite3

    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        private_file(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
