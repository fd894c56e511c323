"""Send the routing task for stored responses; a broker outage delays routing, never loses it.

A message names up to `IDS_PER_MESSAGE` responses (a group commit's, a webhook event's, an
import's): the router receives and acknowledges one message for them, and routes them
`router_batch_size` to a transaction. Small enough that a large import still spreads over
every router process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from celery import Celery
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.broker import send_ids_together
from shared.db import transaction
from shared.models import Response

log = logging.getLogger(__name__)

IDS_PER_MESSAGE = 20


class Committed(Protocol):
    """A response as a commit left it: its id, and whether it is due for routing."""

    @property
    def id(self) -> int: ...

    @property
    def needs_routing(self) -> bool: ...


def send_routing(
    celery: Celery,
    sessions: sessionmaker[Session],
    response_ids: Sequence[int],
    *,
    stamped: bool = False,
) -> list[int]:
    """Send `router.process_response` for the stored ids and keep enqueued_at truthful.

    Called after the responses were committed. `stamped` says the commit already set their
    enqueued_at (the ingest hot path saves a transaction that way): then only the ids that could
    not be sent are cleared. Otherwise the sent ones are stamped now. Either way an id left with
    enqueued_at NULL is sent by `router.sweep_unrouted` at its next run; the publish retry policy
    and socket timeouts of the Celery app bound how long a broker outage can hold this up.
    """
    sent = send_ids_together(
        celery, task_names.PROCESS_RESPONSE, response_ids, per_message=IDS_PER_MESSAGE
    )
    unsent = list(response_ids[len(sent) :])
    if stamped and unsent:
        _set_enqueued(sessions, unsent, None)
    elif not stamped and sent:
        _set_enqueued(sessions, sent, datetime.now(UTC))
    return sent


def route_new(celery: Celery, sessions: sessionmaker[Session], stored: Sequence[Committed]) -> None:
    """Send routing for the responses just committed that need it (stamped by the commit)."""
    to_route = list(dict.fromkeys(s.id for s in stored if s.needs_routing))
    if to_route:
        send_routing(celery, sessions, to_route, stamped=True)


def _set_enqueued(sessions: sessionmaker[Session], ids: list[int], at: datetime | None) -> None:
    """Record when the ids were sent (None: not sent); a failure only makes the sweep repeat."""
    try:
        with transaction(sessions) as session:
            session.execute(update(Response).where(Response.id.in_(ids)).values(enqueued_at=at))
    except SQLAlchemyError as exc:
        log.warning("could not record enqueued_at", extra={"response_ids": ids, "error": str(exc)})
