"""A token bucket per channel target in Redis, shared by every notifier worker process.

Celery's `rate_limit` is enforced inside each worker instance and per task type, so N workers send
N times the rate and one busy target would slow every other. Slack and SMTP servers limit per
target, so the bucket is keyed by target and lives in Redis, where all workers see the same one.
"""

from __future__ import annotations

import os
from functools import cache

import redis

from services.notifier.channels import Rate

# Refill by elapsed server time, take one token if there is one, else say how long until there is.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class RateLimiter:
    """Take send tokens from per-target buckets kept in Redis."""

    def __init__(self, client: redis.Redis, prefix: str = "cxloop:notifier:rate:") -> None:
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    def take(self, key: str, rate: Rate) -> float:
        """Take one token for `key`; return 0 if sent now is fine, else seconds to wait."""
        wait = self._take(keys=[self.prefix + key], args=[rate.per_second, rate.burst])
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
