"""A circuit breaker per channel endpoint (an SMTP server, a Slack workspace or webhook) in Redis.

During an outage every waiting delivery would otherwise retry on its own backoff, up to the
5-minute cap, so the last alert went out minutes after the channel came back. With the breaker
open, deliveries are held and one probe at a time goes through every `breaker_probe_s`; the
probe's success closes the breaker and the notifier makes every waiting delivery due at once.
State lives in Redis so that every worker process sees the same breaker.
"""

from __future__ import annotations

import redis

from services.notifier.ratelimit import redis_client

_TTL_MS = 7 * 24 * 3600 * 1000  # forget a breaker nobody touched for a week
CLOSED, OPEN, OPENED = 0, 1, 2

# Closed: allow. Open: allow the caller that takes the probe slot, which lasts the probe interval.
_ALLOW = """
if redis.call('HGET', KEYS[1], 'open') ~= '1' then return 1 end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
"""

# Count a failure; open at the threshold, with the probe slot taken for one interval.
# Returns 0 closed, 1 open, 2 opened by this failure.
_FAILURE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if redis.call('HGET', KEYS[1], 'open') == '1' then return 1 end
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'open', '1')
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  return 2
end
return 0
"""

# Close; say whether it had been open (then the waiting deliveries are released).
_SUCCESS = """
local was = redis.call('HGET', KEYS[1], 'open')
redis.call('DEL', KEYS[1], KEYS[2])
if was == '1' then return 1 end
return 0
"""


class Breaker:
    """Open, probe and close per-endpoint breakers shared by every notifier worker."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        threshold: int,
        probe_s: float,
        prefix: str = "cxloop:notifier:breaker:",
    ) -> None:
        self.threshold = threshold
        self.probe_ms = max(1, int(probe_s * 1000))
        self.prefix = prefix
        self._client = client
        self._allow = client.register_script(_ALLOW)
        self._failure = client.register_script(_FAILURE)
        self._success = client.register_script(_SUCCESS)

    def _keys(self, endpoint: str) -> list[str]:
        return [self.prefix + endpoint, self.prefix + endpoint + ":probe"]

    def allow(self, endpoint: str) -> bool:
        """Say whether a send may go now: the breaker is closed, or this send is the probe."""
        return bool(self._allow(keys=self._keys(endpoint), args=[self.probe_ms]))

    def failure(self, endpoint: str) -> int:
        """Record a failed send; return CLOSED, OPEN, or OPENED (this failure opened it)."""
        args = [self.threshold, self.probe_ms, _TTL_MS]
        return int(self._failure(keys=self._keys(endpoint), args=args))

    def success(self, endpoint: str) -> bool:
        """Record a successful send; True if the breaker had been open."""
        return bool(self._success(keys=self._keys(endpoint), args=[]))

    def is_open(self, endpoint: str) -> bool:
        """Say whether the endpoint's breaker is open (for tests and operators)."""
        return self._client.hget(self.prefix + endpoint, "open") in (b"1", "1")


def breaker_for(redis_url: str, *, threshold: int, probe_s: float) -> Breaker:
    """Return a breaker on this process's Redis connection (rebuilt after a fork)."""
    return Breaker(redis_client(redis_url), threshold=threshold, probe_s=probe_s)
