"""Per-request access to ingest's resources: settings, database sessions, the broker, Redis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery
from flask import current_app, g, has_request_context
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.group_commit import GroupCommit
from services.ingest.service import Stored
from services.ingest.sources.store import Stored as WebhookStored
from shared.settings import Settings


@dataclass(frozen=True)
class Ingest:
    """What views need from the process: settings, database sessions, a broker to send to."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    celery: Celery
    redis: redis.Redis
    commits: GroupCommit[tuple[dict[str, Any], Any], Stored]  # POST /v1/responses(:batch)
    webhook_commits: GroupCommit[tuple[dict[str, Any], dict[str, Any]], WebhookStored]

    def close(self) -> None:
        """Release pooled connections (tests, graceful shutdown)."""
        self.celery.close()
        self.redis.close()
        self.engine.dispose()


def ingest() -> Ingest:
    """Return the current app's ingest resources."""
    return current_app.extensions["cxloop"]


def log_ids(**ids: Any) -> dict[str, Any]:
    """Return `extra=` fields for a log record: the given ids plus the request id."""
    if has_request_context() and "request_id" in g:
        ids.setdefault("request_id", g.request_id)
    return ids
