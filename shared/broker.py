"""Sending task ids to the broker: the one way every service does it, and what an outage does.

Services pass ids, never objects, and only ids of rows already committed. `send_ids` sends one
task per id, in order, over one pooled producer; several ids go in one batch (on Redis, one
pipelined round trip: about half the CPU of sending them one by one). `send_ids_together` sends
one task naming them all (or a few tasks naming a share each), for a batch task that takes lists
(`router.process_response`, `notifier.deliver`). When the
broker is down (after the Celery app's publish retry policy and socket timeouts), the first
broker error stops the send: it is logged as a warning naming the task and how many ids were
left, and is not raised, so a web request or a task that already committed its work still
succeeds. The caller gets the ids that were sent (none of a batch whose round trip failed).
Nothing is lost: a periodic sweep re-sends every stored row whose task never ran
(`router.sweep_unrouted`, `router.sweep_unfetched`, `router.sweep_corrections`,
`notifier.sweep_pending`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

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
    return _send(celery, name, [([item], [item]) for item in ids], queue=queue)


def send_ids_together(
    celery: Celery, name: str, ids: Sequence[int], *, per_message: int | None = None,
    queue: str | None = None,
) -> list[int]:  # fmt: skip
    """Send task `name` once naming all the ids, or once per `per_message` of them (a batch
    task that takes lists); return the ids sent. Its worker receives and acknowledges one
    message instead of one per id, and a message redelivered redoes them all, each claimed on
    its own."""
    size = per_message or len(ids) or 1
    chunks = [list(ids[start : start + size]) for start in range(0, len(ids), size)]
    # One id goes bare, as `send_ids` sends it: a worker not yet upgraded still reads it.
    messages = [([chunk if len(chunk) > 1 else chunk[0]], chunk) for chunk in chunks]
    return _send(celery, name, messages, queue=queue)


def named_ids(argument: int | list[int]) -> list[int]:
    """The ids a message names: one (`send_ids`) or a list (`send_ids_together`)."""
    return argument if isinstance(argument, list) else [argument]


def _send(
    celery: Celery, name: str, messages: Sequence[tuple[list[Any], list[int]]], *,
    queue: str | None,
) -> list[int]:  # fmt: skip
    """Send each message (its task arguments, and the ids they name) over one producer."""
    sent: list[int] = []
    if not messages:
        return sent
    where = {"queue": queue} if queue else {}  # else the task's route decides
    try:
        with celery.producer_or_acquire() as producer:
            batched = len(messages) > 1 and producer.supports_batch_publish
            # A batch is sent when its block ends; if that fails, none counts as sent (the sweep
            # sends them again, and every task is idempotent).
            with producer.batch() if batched else nullcontext():
                for args, named in messages:
                    celery.send_task(name, args=args, producer=producer, **where)
                    if not batched:
                        sent.extend(named)
            if batched:
                sent.extend(i for _, named in messages for i in named)
    except BROKER_ERRORS as exc:
        log.warning(
            "broker unavailable; the sweep will send the rest",
            extra={
                "task": name,
                "unsent": sum(len(n) for _, n in messages) - len(sent),
                "error": str(exc),
            },
        )
    return sent
