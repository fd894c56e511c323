"""Real brokers and databases for the suite: a private Redis, PostgreSQL, a RabbitMQ vhost."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis


def port_open(host: str, port: int) -> bool:
    """Return whether a local service answers at host:port (CXLOOP_TEST_EMBEDDED=1 says no)."""
    if os.environ.get("CXLOOP_TEST_EMBEDDED") == "1":
        return False
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """Yield a Redis URL: CXLOOP_TEST_REDIS_URL (flushed) if set, else a private redis-server.

    A private server per run, not a database on the machine's shared Redis: two suites running
    at once (a developer's and CI's) would otherwise take each other's Celery messages.
    """
    url = os.environ.get("CXLOOP_TEST_REDIS_URL")
    if url:
        redis.Redis.from_url(url).flushdb()
        yield url
        redis.Redis.from_url(url).flushdb()
        return
    from shared.embedded import start_redis

    sock = workdir / "redis" / "redis.sock"
    proc = start_redis(sock)
    try:
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """Yield the URL of a fresh, empty PostgreSQL database, gone afterwards."""
    if not port_open("127.0.0.1", 5432):
        import pgserver

        server = pgserver.get_server(workdir / "pgdata", cleanup_mode="delete")
        try:
            yield server.get_uri()  # a throwaway server: its whole data directory goes after
        finally:
            server.cleanup()
        return
    name = f"cxloop_test_{uuid.uuid4().hex[:8]}"
    admin = os.environ.get(
        "CXLOOP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RABBITMQ = os.environ.get("CXLOOP_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672")


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A fresh virtual host on the machine's RabbitMQ, so runs never share queues; its URL.

    Made and removed with rabbitmqctl, which runs on the same machine as the broker.
    """
    vhost = f"cxloop-test-{uuid.uuid4().hex[:12]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    try:
        subprocess.run(
            ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
            check=True, capture_output=True,
        )  # fmt: skip
        yield f"{RABBITMQ}/{vhost}"
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)
