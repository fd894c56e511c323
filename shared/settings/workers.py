"""The Celery workers and beat: pools, the sweeps' and checks' timing, task limits, retraining."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class WorkerSettings(BaseModel):
    """Pools and concurrency of the router and notifier workers."""

    worker_concurrency: int = Field(
        2,
        ge=1,
        description="Celery pool processes per router worker (and per notifier on prefork).",
    )
    router_pool: Literal["prefork", "threads"] = Field(
        "prefork",
        description="The router's Celery pool: prefork (routing is CPU work) or threads.",
    )
    router_batch_size: int = Field(
        20,
        ge=1,
        description=(
            "Responses a router pool process routes per batch (1: one at a time). Batches cost "
            "the worker one hand-over instead of one per response."
        ),
    )
    router_batch_wait_s: float = Field(
        0.1,
        gt=0,
        description="How long a router worker waits for a batch to fill before routing it.",
    )
    notifier_pool: Literal["prefork", "threads"] = Field(
        "threads",
        description="The notifier's Celery pool: threads (sends wait on the network) or prefork.",
    )
    notifier_concurrency: int = Field(
        16,
        ge=1,
        description="Notifier threads (or processes on prefork) per notifier worker.",
    )
    notifier_batch_size: int = Field(
        16,
        ge=1,
        description=(
            "Deliveries a notifier claims, sends side by side and records per batch (1: one at "
            "a time). A batch costs two transactions instead of two per delivery."
        ),
    )
    notifier_batch_wait_s: float = Field(
        0.05,
        gt=0,
        description="How long a notifier worker waits for a batch to fill before sending it.",
    )
    notifier_endpoint_concurrency: int = Field(
        4,
        ge=1,
        description=(
            "Sends in flight per endpoint (SMTP server, Slack workspace, webhook) per notifier "
            "worker, under Slack's per-channel limits; the Redis rate limit still applies."
        ),
    )


class TimingSettings(BaseModel):
    """How often beat sends the periodic tasks, and how long a task may hold a message."""

    sweep_interval_s: float = Field(
        20.0,
        gt=0,
        description="How often beat sends the sweeps that re-enqueue unfinished work.",
    )
    sweep_grace_s: float = Field(
        40.0,
        gt=0,
        description=(
            "Age after which an unrouted response or a pending delivery counts as lost and is "
            "re-enqueued."
        ),
    )
    delivery_lease_s: float = Field(
        90.0,
        gt=0,
        description=(
            "How long a notifier owns a delivery it is sending; after it, a sweep hands the "
            "delivery to another worker."
        ),
    )
    escalation_interval_s: float = Field(
        60.0,
        gt=0,
        description="How often SLA escalations are checked.",
    )
    digest_interval_s: float = Field(
        300.0,
        gt=0,
        description=(
            "How often beat asks which daily and weekly digests are due (desk.yml `digests`); "
            "a digest goes out within this long after its local time."
        ),
    )
    visibility_timeout_s: int = Field(
        300,
        gt=0,
        description=(
            "Redis transport: when an unacknowledged task of a dead worker is handed out again. "
            "Must exceed the countdown cap plus the task time limit (checked at start)."
        ),
    )
    task_time_limit_s: int = Field(
        120,
        gt=0,
        description="Hard limit on one task (the soft limit is 10 s less).",
    )

    @property
    def task_soft_time_limit_s(self) -> int:
        """When a task is asked to stop: 10 s before the hard limit (a fifth of it if shorter)."""
        return self.task_time_limit_s - min(10, self.task_time_limit_s // 5)


class LearningSettings(BaseModel):
    """When the router trains and reloads touchpoint models."""

    learn_min_new: int = Field(
        20,
        ge=1,
        description=(
            "Corrections of touchpoints needed since the newest touchpoint model before "
            "`router.retrain_touchpoints` trains another, from the corrections and the newest "
            '5,000 cases closed as routed (see "Learning from corrections" in docs/quality.md).'
        ),
    )
    learn_interval_s: float = Field(
        300.0,
        gt=0,
        description="How often beat sends `router.retrain_touchpoints`.",
    )
    learn_refresh_s: float = Field(
        30.0,
        gt=0,
        description=(
            "How often a router worker asks the database which touchpoint model is active (never "
            "once per comment)."
        ),
    )
