"""A batch task's argument (the router's, the notifier's), built the way its worker hands
messages over."""

from __future__ import annotations

from shared import task_names
from shared.batches import SimpleRequest


def routing_batch(response_ids: list[int], *, hostname: str = "test") -> list[SimpleRequest]:
    """One `router.process_response` message per stored response, as celery-batches passes them."""
    return task_batch(task_names.PROCESS_RESPONSE, response_ids, hostname=hostname)


def task_batch(name: str, ids: list[int], *, hostname: str = "test") -> list[SimpleRequest]:
    """One message of task `name` per id, as celery-batches passes them."""
    fields = {"name": name, "kwargs": {}, "delivery_info": {},
              "hostname": hostname, "ignore_result": True, "reply_to": None,
              "correlation_id": None, "request_dict": {}}  # fmt: skip
    return [SimpleRequest(id=f"{hostname}-{n}", args=(n,), **fields) for n in ids]
