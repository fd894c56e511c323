"""Hold a PostgreSQL row lock from the test, so a worker's task blocks inside its transaction."""

from __future__ import annotations

import psutil
import psycopg

from tests.support.processes import Process


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

    def blocked_ports(self) -> list[int]:
        """Client ports of this database's sessions waiting for a lock right now."""
        rows = self._watch.execute(
            "SELECT client_port FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> %s",
            [self.conn.info.backend_pid],
        ).fetchall()
        return [port for (port,) in rows if port is not None]

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


def process_on_port(worker: Process, port: int) -> psutil.Process:
    """The process of `worker`'s tree whose database connection uses local port `port`."""
    for proc in [psutil.Process(worker.proc.pid), *worker.children()]:  # type: ignore[union-attr]
        if any(c.laddr and c.laddr.port == port for c in proc.net_connections(kind="tcp")):
            return proc
    raise AssertionError(f"no process of {worker.args} has a connection on port {port}")
