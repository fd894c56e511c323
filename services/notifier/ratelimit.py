"""A rate limit per channel target in Redis, shared by every notifier worker process.

Celery's `rate_limit` is enforced inside each worker instance and per task type, so N workers send
N times the rate and one busy target would slow every other. Slack and SMTP servers limit per
target, so the bucket is keyed by target and lives in Redis, where all workers see the same one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache

import redis

from services.notifier.channels import Rate

# GCRA (a token bucket kept as one "theoretical arrival time"): a caller within the burst sends
# now; a later one is given the next free slot and, if it is within ARGV[1] seconds, the slot is
# booked for it, so refused callers come back one interval apart, first come first served.
# Without booking they all came back at the same refill and raced again; the same few won every
# time and the rest starved. A slot further off than ARGV[1] is not booked: ask again then.
# One call takes a slot for each key in turn (a key may repeat), each with its own rate and burst.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local horizon = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local interval = 1 / tonumber(ARGV[2 * i])
  local tolerance = (tonumber(ARGV[2 * i + 1]) - 1) * interval
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), now)
  local wait = math.max(0, tat - tolerance - now)
  if wait <= horizon then
    tat = tat + interval
    local ttl = math.ceil((tat - now) * 1000) + 1000
    redis.call('SET', KEYS[i], string.format('%.6f', tat), 'PX', ttl)
  end
  out[i] = string.format('%.6f', wait)
end
return out
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
        return self.take_each([(key, rate)], book_within=book_within)[0]

    def take_each(
        self, wanted: Sequence[tuple[str, Rate]], *, book_within: float = 60.0
    ) -> list[float]:
        """`take` for each (key, rate) in turn, in one round trip for a batch of sends."""
        if not wanted:
            return []
        args: list[float | int] = [book_within]
        for _, rate in wanted:
            args += [rate.per_second, rate.burst]
        waits = self._take(keys=[self.prefix + key for key, _ in wanted], args=args)
        return [float(wait) for wait in waits]


@cache
def _client(url: str, pid: int) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def redis_client(url: str) -> redis.Redis:
    """Return this process's connection to the notifier's Redis (never shared across a fork)."""
    return _client(url, os.getpid())


def limiter_for(redis_url: str) -> RateLimiter:
    """Return this process's limiter on the given Redis (rebuilt after a fork)."""
    return RateLimiter(redis_client(redis_url))
