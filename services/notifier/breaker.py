"""A circuit breaker per channel endpoint (an SMTP server, a Slack workspace or webhook) in Redis.

During an outage every waiting delivery would otherwise retry on its own backoff, up to the
5-minute cap, so the last alert went out minutes after the channel came back. With the breaker
open, deliveries are held and one probe at a time goes through every `breaker_probe_s`; the
probe's success closes the breaker and the notifier makes every waiting delivery due at once.

A slow but alive endpoint (an SMTP server that answers some clients only after our timeout)
fails some sends while others succeed. Such failures neither open the breaker nor strand their
deliveries: a failure counts towards opening only if no send to the endpoint succeeded while it
was under way (the endpoint answered, so the failure says nothing about it being down), and the
first success after failures releases the waiting deliveries, at most once per probe interval,
instead of leaving them in backoffs of up to five minutes.
State lives in Redis so that every worker process sees the same breaker.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import redis

from services.notifier.ratelimit import redis_client

_TTL_MS = 7 * 24 * 3600 * 1000  # forget a breaker nobody touched for a week
CLOSED, OPEN, OPENED = 0, 1, 2
KEEP, RELEASE, RECLOSED = 0, 1, 2  # what a success asks of the notifier

# For each endpoint (two keys each): 2 closed, every send may go; 1 open, and this caller took
# the probe slot, which lasts the probe interval: one send may go; 0 open, none may.
_ADMITS = """
local out = {}
for i = 1, #KEYS, 2 do
  if redis.call('HGET', KEYS[i], 'open') ~= '1' then
    out[#out + 1] = 2
  elseif redis.call('SET', KEYS[i + 1], '1', 'NX', 'PX', ARGV[1]) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
"""

# Record a failure of a send that started at ARGV[4]; open at the threshold, with the probe slot
# taken for one interval. A send that failed while another one succeeded does not count.
# Returns 0 closed, 1 open, 2 opened by this failure.
_FAILURE = """
redis.call('HSET', KEYS[1], 'waiting', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local is_open = redis.call('HGET', KEYS[1], 'open') == '1'
local last_ok = tonumber(redis.call('GET', KEYS[3]) or '-1')
if last_ok >= tonumber(ARGV[4]) then
  if is_open then return 1 end
  return 0
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if is_open then return 1 end
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'open', '1')
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  return 2
end
return 0
"""

# Record a success at ARGV[1] for each endpoint (four keys each). Open: close, release the
# waiting deliveries (2). Closed after failures: reset the count in a row and release them (1)
# unless released within the interval. Else 0.
_SUCCESS = """
local function succeeded(hash, probe, ok, released)
  redis.call('SET', ok, ARGV[1], 'PX', ARGV[3])
  local was_open = redis.call('HGET', hash, 'open') == '1'
  local waiting = redis.call('HGET', hash, 'waiting') == '1'
  if was_open then
    redis.call('DEL', hash, probe)
    redis.call('SET', released, '1', 'PX', ARGV[2])
    return 2
  end
  redis.call('HDEL', hash, 'failures')
  if waiting and redis.call('SET', released, '1', 'NX', 'PX', ARGV[2]) then
    redis.call('HDEL', hash, 'waiting')
    return 1
  end
  return 0
end
local out = {}
for i = 1, #KEYS, 4 do
  out[#out + 1] = succeeded(KEYS[i], KEYS[i + 1], KEYS[i + 2], KEYS[i + 3])
end
return out
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
        self._admits = client.register_script(_ADMITS)
        self._failure = client.register_script(_FAILURE)
        self._success = client.register_script(_SUCCESS)

    def _keys(self, endpoint: str) -> list[str]:
        base = self.prefix + endpoint
        return [base, base + ":probe", base + ":ok", base + ":released"]

    def allow(self, endpoint: str) -> bool:
        """Say whether a send may go now: the breaker is closed, or this send is the probe."""
        return self.admits([endpoint])[endpoint] > 0

    def admits(self, endpoints: Iterable[str]) -> dict[str, float]:
        """How many sends each endpoint takes now, in one round trip for a batch: any number
        (closed), one (open, and that send is the probe) or none."""
        wanted = list(dict.fromkeys(endpoints))
        if not wanted:
            return {}
        keys = [key for endpoint in wanted for key in self._keys(endpoint)[:2]]
        answers = self._admits(keys=keys, args=[self.probe_ms])
        return {e: (0, 1, math.inf)[int(a)] for e, a in zip(wanted, answers, strict=True)}

    def failure(self, endpoint: str, started: float) -> int:
        """Record a failed send that began at `started` (epoch seconds); CLOSED, OPEN or OPENED."""
        args: list[int | str] = [self.threshold, self.probe_ms, _TTL_MS, repr(started)]
        return int(self._failure(keys=self._keys(endpoint), args=args))

    def success(self, endpoint: str, at: float) -> int:
        """Record a send that succeeded at `at`: KEEP, RELEASE the waiting deliveries, or
        RECLOSED (the breaker had been open: release them too)."""
        return self.successes([endpoint], at)[endpoint]

    def successes(self, endpoints: Iterable[str], at: float) -> dict[str, int]:
        """Record sends to these endpoints that succeeded by `at`, in one round trip; what
        `success` answers, per endpoint."""
        wanted = list(dict.fromkeys(endpoints))
        if not wanted:
            return {}
        keys = [key for endpoint in wanted for key in self._keys(endpoint)]
        answers = self._success(keys=keys, args=[repr(at), self.probe_ms, _TTL_MS])
        return {e: int(a) for e, a in zip(wanted, answers, strict=True)}

    def is_open(self, endpoint: str) -> bool:
        """Say whether the endpoint's breaker is open (for tests and operators)."""
        return self._client.hget(self.prefix + endpoint, "open") in (b"1", "1")


def breaker_for(redis_url: str, *, threshold: int, probe_s: float) -> Breaker:
    """Return a breaker on this process's Redis connection (rebuilt after a fork)."""
    return Breaker(redis_client(redis_url), threshold=threshold, probe_s=probe_s)
