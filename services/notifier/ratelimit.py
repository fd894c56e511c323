"""A rate limit per channel target in Redis, shared by every notifier worker process.

Celery's `rate_limit` is enforced inside each worker instance and per task type, so N workers send
N times the rate and one busy target would slow every other. Slack and SMTP servers limit per
target, so the bucket is keyed by target and lives in Redis, where all workers see the same one.
"""

from __future__ import annotations

import os
from functools import cache

import redis

from services.notifier.channels import Rate

# GCRA (a token bucket kept as one "theoretical arrival time"): a caller within the burst sends
# now; a later one is given the next free slot and, if it is within ARGV[3] seconds, the slot is
# booked for it, so refused callers come back one interval apart, first come first served.
# Without booking they all came back at the same refill and raced again; the same few won every
# time and the rest starved. A slot further off than ARGV[3] is not booked: ask again then.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local interval = 1 / tonumber(ARGV[1])
local tolerance = (tonumber(ARGV[2]) - 1) * interval
local horizon = tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = math.max(0, tat - tolerance - now)
if wait <= horizon then
  tat = tat + interval
  redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
end
return string.format('%.6f', wait)
"""


class RateLimiter:
    """Book send slots in per-target rate limits kept in Redis."""

    def __init__(self, client: redis.Redis, prefix: str = "cxloop:notifier:gcra:") -> None:
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    def take(self, key: str, rate: Rate, *, book_within: float = 60.0) -> float:
        """Take a send slot for `key`: 0 means send now. Otherwise the seconds until this
        caller's slot, booked for it when at most `book_within` away: come back then and send
        without asking again. A longer wait is not booked."""
        wait = self._take(keys=[self.prefix + key], args=[rate.per_second, rate.burst, book_within])
        return float(wait)


@cache
def _client(url: str, pid: int) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def redis_client(url: str) -> redis.Redis:
    """Return this process's connection to the notifier's Redis (never shared across a fork)."""
    return _client(url, os.getpid())


def limiter_for(redis_url: str) -> RateLimiter:
    """Return this process's limiter on the given Redis (rebuilt after a fork)."""
    return RateLimiter(redis_client(redis_url))
