"""Liveness and readiness probes for load balancers and orchestrators (no auth)."""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from services.ingest.context import Ingest, ingest
from shared.db import unavailable_reason
from shared.errors import RETRY_AFTER_S, error_response
from shared.openapi import documented

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@documented("Liveness: the process answers", response={"type": "object"}, errors=(),
            tag="health", security=())  # fmt: skip
def healthz() -> dict[str, str]:
    """Say the process is alive; checks no dependency so a broker outage never restarts it."""
    return {"status": "ok"}


def check_dependencies(svc: Ingest) -> dict[str, str]:
    """Return {dependency: reason} for each of database and broker that is unreachable."""
    failures = {}
    try:
        with svc.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        failures["database"] = unavailable_reason(exc)
    try:
        svc.redis.ping()
    except redis.exceptions.RedisError as exc:
        failures["broker"] = f"unreachable ({type(exc).__name__})"
    return failures


@bp.get("/readyz")
@documented("Readiness: the database and the broker answer (else 503 naming them)",
            response={"type": "object"}, errors=(503,), tag="health", security=())  # fmt: skip
def readyz() -> Any:
    """Answer 200 when the database and the broker answer, else 503 naming what failed."""
    failures = check_dependencies(ingest())
    if failures:
        log.warning("not ready", extra={"failures": failures})
        errors = {name: [reason] for name, reason in failures.items()}
        message = "not ready: " + "; ".join(f"{k} {v}" for k, v in sorted(failures.items()))
        return error_response(503, message, errors, {"Retry-After": str(RETRY_AFTER_S)})
    return {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
