"""The sends in flight of one notifier worker: a cap per endpoint, and the threads of a batch.

With a thread pool one worker may hold many deliveries at once; without a cap a burst to one
Slack workspace or SMTP server would open as many connections as there are threads. The Redis
rate limit (ratelimit.py) keeps the rate per target across all workers; this keeps the
connections per endpoint of one worker few, so one slow endpoint cannot take every thread.
A batch of deliveries sends side by side on the process's send pool, so a slow channel costs the
batch one send's wait, not the sum of them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache

_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_lock = threading.Lock()


@contextmanager
def endpoint_slot(endpoint: str, limit: int) -> Iterator[None]:
    """Hold one of the endpoint's `limit` slots in this process while the block runs."""
    with _lock:
        slot = _slots.setdefault((endpoint, limit), threading.BoundedSemaphore(limit))
    with slot:
        yield


def send_pool(size: int) -> ThreadPoolExecutor:
    """This process's threads for the sends of a batch, side by side (one pool per process: a
    forked pool child starts its own)."""
    return _send_pool(size, os.getpid())


@cache
def _send_pool(size: int, pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=size, thread_name_prefix="send")
