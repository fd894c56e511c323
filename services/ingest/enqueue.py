"""Send the routing task for stored responses; a broker outage delays routing, never loses it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import kombu.exceptions
import redis.exceptions
from celery import Celery
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.db import transaction
from shared.models import Response

log = logging.getLogger(__name__)

BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError)


def send_routing(
    celery: Celery, sessions: sessionmaker[Session], response_ids: Sequence[int]
) -> list[int]:
    """Send `router.process_response` for each stored id and record which ones went out.

    Called after the responses were committed. If the broker is unreachable the remaining ids
    are left with enqueued_at NULL and `router.sweep_unrouted` sends them later; the publish
    retry policy and socket timeouts of the Celery app bound how long this can take.
    """
    sent: list[int] = []
    for response_id in response_ids:
        try:
            celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
        except BROKER_ERRORS as exc:
            log.warning(
                "broker unavailable; the sweep will route the rest",
                extra={"response_id": response_id, "unsent": len(response_ids) - len(sent),
                       "error": str(exc)},
            )  # fmt: skip
            break
        sent.append(response_id)
    if sent:
        _mark_enqueued(sessions, sent)
    return sent


def _mark_enqueued(sessions: sessionmaker[Session], ids: list[int]) -> None:
    """Set enqueued_at; if that fails the sweep merely sends an idempotent task again."""
    try:
        with transaction(sessions) as session:
            session.execute(
                update(Response).where(Response.id.in_(ids)).values(enqueued_at=datetime.now(UTC))
            )
    except SQLAlchemyError as exc:
        log.warning("could not record enqueued_at", extra={"response_ids": ids, "error": str(exc)})
