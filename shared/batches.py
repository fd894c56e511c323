"""Tasks that take their queue's messages in batches, so Celery's costs are paid once per batch.

A one-message task makes the worker pay, for every message, the hand-over to a pool child, the
trace around the call and the result's way back, and the task a transaction. celery-batches
buffers a batch task's messages in the worker and hands them to one call as a list; each message
still names one item, which the task claims on its own, so a batch redone after a crash doubles
nothing. `BatchTask` keeps what this app's one-message tasks have:

- every message is acknowledged only when its batch returned (`acks_late`);
- when the pool child running a batch dies, its messages are put back at once
  (`reject_on_worker_lost`), not after the broker's visibility timeout;
- the batch runs under the task time limits;
- each message logs "Task <name>[<id>] received", as Celery's own strategy does;
- a batch still flushes on time after the worker reconnected to the broker.

A batch is sent to the pool when `flush_every` messages are buffered or `flush_interval`
seconds after the first, whichever comes first. The worker's prefetch must let `flush_every`
messages be unacknowledged at once, or every batch waits for the interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from billiard.einfo import ExceptionInfo, ExceptionWithTraceback
from billiard.exceptions import WorkerLostError
from celery import Celery
from celery.worker.request import Request
from celery_batches import Batches, SimpleRequest
from celery_batches.trace import apply_batches_task

log = logging.getLogger(__name__)

__all__ = ["BatchTask", "SimpleRequest"]


class BatchTask(Batches):
    """A celery-batches task with the acknowledgement, requeue and time limits of the others."""

    _tref: Any  # celery-batches' repeating flush timer, while messages wait

    def Strategy(self, task: Batches, app: Celery, consumer: Any) -> Callable[..., None]:
        # The consumer builds its strategies again when it reconnects to the broker, after
        # clearing its timers (Celery 5.6): forget the cleared flush timer, or no new one starts
        # and a batch short of `flush_every` waits until more messages come.
        if self._tref is not None:
            self._tref.cancel()
            self._tref = None
        buffer = super().Strategy(task, app, consumer)

        def received(message: Any, *args: Any, **kwargs: Any) -> None:
            buffer(message, *args, **kwargs)
            log.info("Task %s[%s] received", task.name, message.headers.get("id"))

        return received

    def flush(self, requests: Collection[Request]) -> Any:
        """Run one batch in the pool; settle its messages by how the run ended."""
        batch = ([SimpleRequest.from_request(request) for request in requests],)

        def returned(_result: object) -> None:
            for request in requests:
                request.acknowledge()

        def failed(info: ExceptionInfo) -> None:
            error = info.exception
            if isinstance(error, ExceptionWithTraceback):  # how the pool wraps what it raised
                error = error.exc
            requeue = isinstance(error, WorkerLostError)
            if requeue:
                log.warning("pool child lost mid-batch; its %d messages go back", len(requests))
            for request in requests:  # a timed-out batch is acknowledged: the sweeps redo its items
                if requeue:
                    request.reject(requeue=True)
                else:
                    request.acknowledge()

        conf = self.app.conf
        return self._pool.apply_async(
            apply_batches_task,
            (self, batch, 0, None),
            callback=returned,
            error_callback=failed,
            timeout=self.time_limit or conf.task_time_limit,
            soft_timeout=self.soft_time_limit or conf.task_soft_time_limit,
        )
