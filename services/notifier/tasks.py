"""Celery entry points of the notifier: thin wrappers around flows, owning retries and acks."""

from __future__ import annotations

from celery import Task, shared_task

from services.notifier import flows
from services.notifier.ratelimit import limiter_for
from shared import task_names
from shared.celery_app import settings_of
from shared.models import utcnow
from shared.runtime import runtime


@shared_task(name=task_names.DELIVER, bind=True, max_retries=None)
def deliver(self: Task, delivery_id: int) -> str:
    """Send one delivery; retry transient failures later, never send a sent one again."""
    settings = settings_of(self.app)
    outcome = flows.deliver(
        runtime(settings).sessions,
        settings,
        delivery_id,
        limiter=limiter_for(settings.effective_redis_url),
    )
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=task_names.SWEEP_DELIVERIES, bind=True)
def sweep_pending(self: Task) -> int:
    """Re-enqueue deliveries whose task was lost (broker restart, killed worker, lost retry)."""
    settings = settings_of(self.app)
    ids = flows.sweep(runtime(settings).sessions, settings, now=utcnow())
    for delivery_id in ids:
        self.app.send_task(task_names.DELIVER, args=[delivery_id])
    return len(ids)
