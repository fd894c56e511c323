"""Only one beat runs: it holds a Redis lock whose TTL a thread refreshes while it runs.

A second beat (a rolling update, a second replica, a forgotten `cxloop beat` on another host)
waits for the lock and says who holds it, rather than doubling every periodic task. A beat that
dies without releasing it blocks the next one for at most the TTL. A beat that loses the lock
(Redis lost the key, or the refresh came too late and another beat took over) stops itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

import redis
from redis.exceptions import LockError, LockNotOwnedError

log = logging.getLogger(__name__)

KEY = "cxloop:beat-lock"


class BeatLock:
    """The one-beat lock: `wait_for` it, then `keep` it refreshed until `release`."""

    def __init__(self, client: redis.Redis, ttl_s: float) -> None:
        if ttl_s < 3:
            raise ValueError("CXLOOP_BEAT_LOCK_TTL_S must be at least 3 seconds")
        self.client = client
        self.ttl_s = ttl_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lock = client.lock(KEY, timeout=ttl_s, thread_local=False)
        self._stop = threading.Event()

    def wait_for(self, poll_s: float | None = None) -> None:
        """Block until this process holds the lock, logging who holds it while waiting."""
        poll = poll_s if poll_s is not None else min(self.ttl_s / 3, 5.0)
        seen: str | None = None
        while True:
            try:
                if self.lock.acquire(blocking=False, token=self.holder):
                    log.info("holding the beat lock", extra={"holder": self.holder})
                    return
                other = self.client.get(KEY)
            except redis.RedisError as exc:
                log.warning("cannot reach Redis for the beat lock", extra={"error": str(exc)})
                other = None
            current = other.decode(errors="replace") if isinstance(other, bytes) else None
            if current is not None and current != seen:
                log.warning(
                    "another beat is running (%s); waiting until it stops", current,
                    extra={"holder": current},
                )  # fmt: skip
                seen = current
            time.sleep(poll)

    def keep(self, on_lost: Callable[[], None]) -> threading.Thread:
        """Refresh the TTL from a thread every third of it; call `on_lost` if the lock is gone."""

        def refresh() -> None:
            while not self._stop.wait(self.ttl_s / 3):
                try:
                    self.lock.reacquire()
                except LockNotOwnedError:
                    log.error("lost the beat lock; stopping so only one beat runs")
                    on_lost()
                    return
                except redis.RedisError as exc:
                    log.warning("cannot refresh the beat lock", extra={"error": str(exc)})

        thread = threading.Thread(target=refresh, name="beat-lock", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """Stop refreshing and free the lock for the next beat (if it is still ours)."""
        self._stop.set()
        with contextlib.suppress(LockError, redis.RedisError):  # expired or taken over
            self.lock.release()
