"""A cap on the sends in flight per endpoint within one notifier worker.

With a thread pool one worker may hold many deliveries at once; without a cap a burst to one
Slack workspace or SMTP server would open as many connections as there are threads. The Redis
rate limit (ratelimit.py) keeps the rate per target across all workers; this keeps the
connections per endpoint of one worker few, so one slow endpoint cannot take every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_lock = threading.Lock()


@contextmanager
def endpoint_slot(endpoint: str, limit: int) -> Iterator[None]:
    """Hold one of the endpoint's `limit` slots in this process while the block runs."""
    with _lock:
        slot = _slots.setdefault((endpoint, limit), threading.BoundedSemaphore(limit))
    with slot:
        yield
