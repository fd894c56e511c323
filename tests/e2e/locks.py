"""Hold a PostgreSQL row lock from the test, so a worker's task blocks inside its transaction."""

from __future__ import annotations

import re

import psutil
import psycopg

from tests.support.processes import Process

_CLIENT = re.compile(r"cxloop\[(\d+)\]")


class RowLock:
    """`SELECT ... FOR UPDATE` in an open transaction, released on demand (or on exit)."""

    def __init__(self, url: str, table: str, where: str, params: list[object]) -> None:
        self.conn = psycopg.connect(url)
        rows = self.conn.execute(
            f"SELECT id FROM {table} WHERE {where} FOR UPDATE", params
        ).fetchall()
        assert rows, f"nothing to lock in {table} where {where} {params}"
        self.ids = [row[0] for row in rows]
        self._watch = psycopg.connect(url, autocommit=True)

    def blocked_pids(self) -> list[int]:
        """Client process ids of this database's sessions waiting for a lock right now.

        cxloop names each connection `cxloop[<pid>]` (shared.db), which works over TCP and
        unix sockets alike.
        """
        rows = self._watch.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> %s",
            [self.conn.info.backend_pid],
        ).fetchall()
        return [int(m.group(1)) for (name,) in rows if (m := _CLIENT.fullmatch(name or ""))]

    def release(self) -> None:
        """End the transaction, letting blocked sessions go on."""
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()
        if not self._watch.closed:
            self._watch.close()

    def __enter__(self) -> RowLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def process_in_tree(worker: Process, pid: int) -> psutil.Process:
    """The process `pid`, checked to be `worker` or one of its pool children."""
    for proc in [psutil.Process(worker.proc.pid), *worker.children()]:  # type: ignore[union-attr]
        if proc.pid == pid:
            return proc
    raise AssertionError(f"process {pid} is not part of {worker.args}")
