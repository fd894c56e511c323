"""The router task's batch argument, built the way its worker hands messages over."""

from __future__ import annotations

from shared import task_names
from shared.batches import SimpleRequest


def routing_batch(response_ids: list[int], *, hostname: str = "test") -> list[SimpleRequest]:
    """One `router.process_response` message per stored response, as celery-batches passes them."""
    fields = {"name": task_names.PROCESS_RESPONSE, "kwargs": {}, "delivery_info": {},
              "hostname": hostname, "ignore_result": True, "reply_to": None,
              "correlation_id": None, "request_dict": {}}  # fmt: skip
    return [SimpleRequest(id=f"{hostname}-{n}", args=(n,), **fields) for n in response_ids]
