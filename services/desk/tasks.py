"""The desk's scheduled tasks, run by the router worker: the SLA check and digest planning."""

from __future__ import annotations

from datetime import timedelta

from celery import Task, shared_task

from services.desk.assignment import assign_waiting
from services.desk.config import desk_config
from services.desk.digest_plan import plan
from services.desk.escalation import check_sla as run_check
from shared import task_names
from shared.broker import send_ids
from shared.celery_app import settings_of
from shared.models import utcnow
from shared.runtime import runtime


@shared_task(name=task_names.CHECK_SLA, bind=True)
def check_sla(self: Task) -> int:
    """Escalate breached cases and give round-robin teams' new cases to a member; send each new
    delivery (escalation, "assigned to you") to the notifier after commit."""
    settings = settings_of(self.app)
    config = desk_config(settings.desk_file)
    sessions = runtime(settings).sessions
    ids = run_check(sessions, config=config, now=utcnow())
    ids += assign_waiting(sessions, config=config, now=utcnow())
    send_ids(self.app, task_names.DELIVER, ids)
    return len(ids)


@shared_task(name=task_names.PLAN_DIGESTS, bind=True)
def plan_digests(self: Task) -> int:
    """Compose and store the digests due now (each once), and send each stored row to the
    notifier's `send_digest` after commit."""
    settings = settings_of(self.app)
    ids = plan(
        runtime(settings).sessions, desk_config(settings.desk_file),
        public_url=settings.public_url, now=utcnow(),
        grace=timedelta(seconds=settings.sweep_grace_s),
        budget_s=settings.task_time_limit_s / 2,
    )  # fmt: skip
    send_ids(self.app, task_names.SEND_DIGEST, ids)
    return len(ids)
