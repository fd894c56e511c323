"""Sending task ids to the broker: the one way every service does it, and what an outage does.

Services pass ids, never objects, and only ids of rows already committed. `send_ids` sends one
task per id, in order, over one pooled producer; several ids go in one batch (on Redis, one
pipelined round trip: about half the CPU of sending them one by one). When the broker is down
(after the Celery app's publish retry policy and socket timeouts), the first broker error stops
the send: it is logged as a warning naming the task and how many ids were left, and is not
raised, so a web request or a task that already committed its work still succeeds. The caller
gets the ids that were sent (none of a batch whose round trip failed). Nothing is lost: a
periodic sweep re-sends every stored row whose task never ran (`router.sweep_unrouted`,
`router.sweep_unfetched`, `router.sweep_corrections`, `notifier.sweep_pending`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext

import kombu.exceptions
import redis.exceptions
from celery import Celery

log = logging.getLogger(__name__)

BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    kombu.exceptions.BatchPublishError,  # a batch's round trip failed: some may have gone
    redis.exceptions.RedisError,
)


def send_ids(
    celery: Celery, name: str, ids: Sequence[int], *, queue: str | None = None
) -> list[int]:
    """Send task `name` once per id (to `queue`, else its routed queue); stop at the first broker
    error; return the ids sent."""
    sent: list[int] = []
    if not ids:
        return sent
    where = {"queue": queue} if queue else {}  # else the task's route decides
    try:
        with celery.producer_or_acquire() as producer:
            batched = len(ids) > 1 and producer.supports_batch_publish
            # A batch is sent when its block ends; if that fails, none counts as sent (the sweep
            # sends them again, and every task is idempotent).
            with producer.batch() if batched else nullcontext():
                for item in ids:
                    celery.send_task(name, args=[item], producer=producer, **where)
                    if not batched:
                        sent.append(item)
            if batched:
                sent.extend(ids)
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; the sweep will send the rest",
            extra={"task": name, "unsent": len(ids) - len(sent), "error": str(exc)},
        )
    return sent
