"""Log-in throttling: failures counted in Redis per account and per client address, with back-off.

Why both: per account stops guessing one person's password from many addresses; per address
stops one client trying a password against many accounts (so its limit is higher: several
people may share an office's address). While a lock holds, even the right password is refused,
otherwise the lock would only slow guessing down instead of stopping it.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

import redis

from shared.backoff import backoff
from shared.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "cxloop:login"
ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class Policy:
    """How many failures in which window lock for how long."""

    max_failures: int = 5
    window_s: int = 900
    lock_s: int = 60
    lock_max_s: int = 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        """Read the CXLOOP_LOGIN_* settings."""
        return cls(
            settings.login_max_failures,
            settings.login_window_s,
            settings.login_lock_s,
            settings.login_lock_max_s,
        )


def lock_seconds(failures: int, limit: int, policy: Policy) -> int:
    """Return the lock after this many failures: none below the limit, then doubling."""
    if failures < limit:
        return 0
    return int(backoff(failures - limit, base=policy.lock_s, cap=policy.lock_max_s))


def _keys(email: str, address: str) -> list[tuple[str, int]]:
    """The counters a log-in touches: (key, its failure limit). Emails are hashed, not stored."""
    account = hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
    return [(f"account:{account[:32]}", 1), (f"address:{address}", ADDRESS_FACTOR)]


class LoginThrottle:
    """Count failed log-ins in the Redis every web process shares; say how long to wait."""

    def __init__(self, client: redis.Redis, policy: Policy) -> None:
        self.redis = client
        self.policy = policy

    def wait(self, *, email: str, address: str) -> int:
        """Return the seconds this log-in must still wait (0: it may try)."""
        try:
            ttls = [self.redis.pttl(f"{PREFIX}:lock:{key}") for key, _ in _keys(email, address)]
        except redis.RedisError as exc:
            log.error("log-in throttle unavailable; not throttling: %s", exc)
            return 0
        return max((math.ceil(int(t) / 1000) for t in ttls if int(t) > 0), default=0)

    def failed(self, *, email: str, address: str) -> int:
        """Record a failure; return the lock it started (seconds, 0 if none), and log it."""
        locked = 0
        try:
            for key, factor in _keys(email, address):
                count_key = f"{PREFIX}:fail:{key}"
                failures = int(self.redis.incr(count_key))
                limit = self.policy.max_failures * factor
                lock = lock_seconds(failures, limit, self.policy)
                # The count outlives any lock it causes, so the next failure doubles the lock.
                self.redis.expire(count_key, self.policy.window_s + lock)
                if lock:
                    self.redis.set(f"{PREFIX}:lock:{key}", "1", ex=lock)
                    locked = max(locked, lock)
        except redis.RedisError as exc:
            log.error("log-in throttle unavailable; failure not counted: %s", exc)
        log.warning(
            "login failed",
            extra={"email": email.strip().lower()[:320], "address": address, "locked_s": locked},
        )
        return locked

    def succeeded(self, *, email: str, address: str) -> None:
        """Forget the account's failures after a successful log-in (the address keeps its count)."""
        key, _ = _keys(email, address)[0]
        try:
            self.redis.delete(f"{PREFIX}:fail:{key}")
        except redis.RedisError as exc:
            log.error("log-in throttle unavailable: %s", exc)
