"""Re-route a case to the touchpoint a person chose: each stored correction applied exactly once.

The desk stores the correction and sends its id; this module re-runs the routing decision with
the corrected touchpoint as explicit, moves the case to the new owner, and creates the alerts:
an assignment for each new receiver, a `rerouted` notice for each receiver that lost the case.
Both carry the id of the `rerouted` event as their step, so moving a case back to an earlier
owner alerts them again instead of colliding with the deliveries of the first routing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from services.router.config import RouterConfig
from services.router.decision import RoutingOutcome, route_response
from services.router.learning import Detector
from services.router.responses import generic_form
from services.router.service import one_per_address, pending_deliveries
from shared.enums import DeliveryKind, DeliveryStatus, TouchpointSource
from shared.models import Case, CaseEvent, Delivery, TouchpointCorrection

log = logging.getLogger(__name__)
ACTOR = "router"


@dataclass(frozen=True)
class Move:
    """Who gains and who loses a case when its routing changes."""

    owner: str
    receivers: tuple[str, ...]
    routes: tuple[str, ...]
    added: tuple[str, ...]  # alerted as the case's new receivers
    removed: tuple[str, ...]  # told that the case moved away from them


def plan_move(previous: Sequence[str], outcome: RoutingOutcome, config: RouterConfig) -> Move:
    """Compare the case's previous receivers with the corrected routing.

    A receiver in both keeps the case and hears nothing new. Should the routing tree match
    nothing (the policy changed since the case was opened), the root receiver takes it, as
    when a case is opened.
    """
    root = config.route.receiver
    receivers = outcome.receivers or (root,)
    return Move(
        owner=outcome.owner or root,
        receivers=receivers,
        routes=outcome.routes or ("route",),
        added=tuple(r for r in receivers if r not in previous),
        removed=tuple(r for r in previous if r not in receivers and r in config.receivers),
    )


def explain(correction: TouchpointCorrection, move: Move) -> str:
    """Say in one sentence why the case now belongs where it does."""
    return (
        f"touchpoint corrected from {correction.from_touchpoint} to "
        f"{correction.to_touchpoint} by {correction.actor}. Owner {move.owner}; routed to "
        f"{', '.join(move.receivers)} via {', '.join(move.routes)}."
    )


def apply_correction(
    session: Session, *, correction_id: int, config: RouterConfig, detector: Detector,
    now: datetime,
) -> list[int]:  # fmt: skip
    """Re-route the case of one correction in the caller's transaction; return deliveries to send.

    Idempotent: the correction is claimed with a conditional UPDATE under the case's row lock,
    so a repeated or concurrent task finds it applied and only returns the case's deliveries
    still pending (the notifier's own claim makes a repeated send harmless).
    """
    correction = session.get(TouchpointCorrection, correction_id)
    if correction is None:
        log.warning("correction not found", extra={"correction_id": correction_id})
        return []
    case = session.scalar(
        select(Case)
        .where(Case.id == correction.case_id)
        .options(selectinload(Case.response))
        .with_for_update(of=Case)
    )
    assert case is not None, "a correction references its case"
    claimed = session.execute(
        update(TouchpointCorrection)
        .where(TouchpointCorrection.id == correction_id, TouchpointCorrection.applied_at.is_(None))
        .values(applied_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        log.info("correction applied before", extra={"correction_id": correction_id})
        return pending_deliveries(session, case_id=case.id)
    outcome = route_response(
        config, detector, generic_form(case.response) | {"touchpoint": correction.to_touchpoint}
    )
    previous = list((case.receivers or {}).get("receivers") or [case.owner])
    move = plan_move(previous, outcome, config)
    event_id = _record(session, case, correction, move, outcome, now)
    deliveries = [
        *_deliveries(case.id, event_id, DeliveryKind.ASSIGNMENT, move.added, config, now),
        *_deliveries(case.id, event_id, DeliveryKind.REROUTED, move.removed, config, now),
    ]
    if deliveries:
        session.execute(insert(Delivery), deliveries)
    _move_case(case, correction, move, outcome, now)
    log.info(
        "case re-routed",
        extra={"case_id": case.id, "correction_id": correction_id, "owner": move.owner,
               "added": list(move.added), "removed": list(move.removed)},
    )  # fmt: skip
    return pending_deliveries(session, case_id=case.id)


def _record(
    session: Session, case: Case, correction: TouchpointCorrection, move: Move,
    outcome: RoutingOutcome, now: datetime,
) -> int:  # fmt: skip
    """Write the `rerouted` event; its id is the step of the deliveries it causes."""
    detail: dict[str, Any] = {
        "correction_id": correction.id,
        "by": correction.actor,
        "before": {"touchpoint": correction.from_touchpoint, "owner": case.owner},
        "after": {"touchpoint": correction.to_touchpoint, "owner": move.owner},
        "receivers": list(move.receivers),
        "routes": list(move.routes),
        "alerted": list(move.added),
        "told_moved": list(move.removed),
        "explanation": explain(correction, move),
        "decision": outcome.explanation,
    }
    return session.execute(
        insert(CaseEvent).returning(CaseEvent.id),
        {"case_id": case.id, "at": now, "actor": ACTOR, "action": "rerouted", "detail": detail},
    ).scalar_one()


def _deliveries(
    case_id: int, step: int, kind: DeliveryKind, receivers: Sequence[str], config: RouterConfig,
    now: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """One pending delivery per address of these receivers, however many of them share it."""
    keys = one_per_address(receivers, config)
    return [
        {"case_id": case_id, "kind": kind, "step": step, "receiver": name, "channel": channel,
         "target": target, "status": DeliveryStatus.PENDING, "attempts": 0, "created_at": now,
         "due_at": now}
        for (channel, target), name in keys.items()
    ]  # fmt: skip


def _move_case(
    case: Case, correction: TouchpointCorrection, move: Move, outcome: RoutingOutcome,
    now: datetime,
) -> None:  # fmt: skip
    """Give the case its new touchpoint and owner; the team and assignee follow the owner.

    Status, priority and SLA deadlines stay: the customer has been waiting since the case
    was opened, whoever owns it now.
    """
    case.touchpoint = correction.to_touchpoint
    case.touchpoints = {
        "chosen": correction.to_touchpoint,
        "source": TouchpointSource.CORRECTED,
        "detected": outcome.to_dict()["touchpoints"],
        "corrected": {"from": correction.from_touchpoint, "by": correction.actor,
                      "correction_id": correction.id},
    }  # fmt: skip
    case.owner = move.owner
    case.receivers = {"receivers": list(move.receivers), "routes": list(move.routes)}
    case.analysis = {**(case.analysis or {}), "labels": dict(outcome.labels)}
    case.team = None  # derived from the new owner through desk.yml's teams
    case.assignee_id = None
    case.snoozed_until = None  # the old owner's snooze does not hold the new owner's reminders
    case.updated_at = now


def unapplied_corrections(
    session: Session, *, now: datetime, grace: timedelta, limit: int
) -> list[int]:
    """Return corrections stored longer than grace ago and not applied yet (their task was lost)."""
    return list(
        session.scalars(
            select(TouchpointCorrection.id)
            .where(TouchpointCorrection.applied_at.is_(None), TouchpointCorrection.at < now - grace)
            .order_by(TouchpointCorrection.at, TouchpointCorrection.id)
            .limit(limit)
        )
    )
