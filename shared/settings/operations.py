"""What operators watch: the workers' metrics endpoint, beat's lock, and logging."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator


class OperationsSettings(BaseModel):
    """Metrics, beat's single-instance lock and logs."""

    metrics_bind: str = Field(
        "",
        description=(
            "host:port where each Celery worker (router, notifier) serves /metrics for "
            "Prometheus; empty: not served. Under `cxloop up` the notifier takes the next port."
        ),
    )
    beat_lock_ttl_s: float = Field(
        30.0,
        gt=0,
        description=(
            "Lifetime of the one-beat lock in Redis, refreshed while beat runs: a second beat "
            "waits, and a beat that died unseen holds the lock at most this long."
        ),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO",
        description="Log level of every process.",
    )
    log_format: Literal["json", "text"] = Field(
        "json",
        description="`json` (one object per line, ids as fields) or `text`.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value
