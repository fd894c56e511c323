"""Exponential backoff: the one rule for waiting longer after each failure.

The wait doubles from `base` with each failure and stops growing at `cap`. With `jitter`
(a function returning a number in [0, 1)) the wait is drawn uniformly below that ceiling, "full
jitter", so many clients failing together do not come back together. A server's Retry-After is
the least wait either way.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_DOUBLINGS = 63  # far past any cap; keeps the float exact and finite


def backoff(
    doublings: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    jitter: Callable[[], float] | None = None,
) -> float:
    """Return the seconds to wait: base doubled per failure, capped, jittered, >= Retry-After."""
    ceiling = min(cap, base * 2.0 ** min(max(0, doublings), MAX_DOUBLINGS))
    wait = jitter() * ceiling if jitter is not None else ceiling
    return max(wait, retry_after or 0.0)
