"""Routing a batch of stored responses: one transaction for all, or one each when that fails.

Per response, routing is a handful of short statements; a transaction of its own adds a pool
checkout with its ping, and a commit that waits for the write-ahead log to reach the disk. A
batch routed in one transaction pays those once, and writes the decisions, deliveries and case
events of all its responses in one statement each (`service.Batch`). One statement claims them
all, and it takes only rows never routed (`claim_all_unrouted`), so a batch redone after a crash
routes nothing twice.

If the batch's transaction fails for any reason (one response whose routing raises, a deadlock
between two workers handed the same responses, the database going away), it is rolled back
whole and each response is routed again in a transaction of its own: a broken response holds
back none of the others, and one the database keeps refusing is tried again with backoff until
`until`, then left to `router.sweep_unrouted`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from services.router import service
from services.router.config import RouterConfig
from services.router.learning import Detector
from shared.db import UNAVAILABLE, transaction, unavailable_reason, while_unavailable
from shared.models import utcnow
from shared.sla import SlaRules

log = logging.getLogger(__name__)


@dataclass
class Routed(service.Batch):
    """What a batch left for the notifier: deliveries to send, incident alerts to schedule."""

    failed: list[int] = field(default_factory=list)  # left to the sweep


def route_batch(
    sessions: sessionmaker[Session], response_ids: Sequence[int], *, config: RouterConfig,
    detector: Detector, sla: SlaRules, until: float,
) -> Routed:  # fmt: skip
    """Route these stored responses; see the module's docstring for how failures are contained."""
    ordered = sorted(set(response_ids))  # row locks always taken in one order
    routed = Routed()
    try:
        with transaction(sessions) as session:
            routed.claim(session, ordered, utcnow())
            for response_id in ordered:
                _route(session, response_id, routed, config=config, detector=detector, sla=sla)
            routed.finish(session)
    except Exception as exc:  # noqa: BLE001 (any failure: each response alone, below)
        log.warning(
            "batch routing failed; routing its %d responses one by one", len(ordered),
            extra={"error": unavailable_reason(exc) if isinstance(exc, UNAVAILABLE) else repr(exc)},
        )  # fmt: skip
        routed = Routed()
        for response_id in ordered:
            _route_alone(sessions, response_id, routed, config=config, detector=detector, sla=sla,
                         until=until)  # fmt: skip
    return routed


def _route(
    session: Session, response_id: int, routed: Routed, *, config: RouterConfig,
    detector: Detector, sla: SlaRules,
) -> None:  # fmt: skip
    service.route_into(
        routed, session, response_id=response_id, config=config, detector=detector,
        now=utcnow(), sla=sla,
    )  # fmt: skip


def _route_alone(
    sessions: sessionmaker[Session], response_id: int, routed: Routed, *, config: RouterConfig,
    detector: Detector, sla: SlaRules, until: float,
) -> None:  # fmt: skip
    def attempt() -> Routed:
        alone = Routed()
        with transaction(sessions) as session:
            _route(session, response_id, alone, config=config, detector=detector, sla=sla)
            alone.finish(session)
        return alone

    extra = {"response_id": response_id}
    try:
        alone = while_unavailable(attempt, until=until, doing="routing", extra=extra)
    except UNAVAILABLE as exc:
        log.error("database %s; the sweep will route it", unavailable_reason(exc), extra=extra)
        routed.failed.append(response_id)
    except Exception:
        log.exception("routing failed; the sweep will try again", extra=extra)
        routed.failed.append(response_id)
    else:
        routed.delivery_ids += alone.delivery_ids
        routed.flushes += alone.flushes
