"""Router persistence: cases, their deliveries and timeline, and the responses still to route."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.router.config import RouterConfig
from services.router.decision import RoutingOutcome, route_response
from services.router.touchpoints import TouchpointDetector
from shared.enums import CaseStatus, DeliveryKind, DeliveryStatus
from shared.models import Case, CaseEvent, Delivery, Response

log = logging.getLogger(__name__)
ACTOR = "router"


def generic_form(response: Response) -> dict[str, Any]:
    """Return a stored response in the generic form the decision takes."""
    return {
        "source": response.source,
        "response_id": response.external_id,
        "touchpoint": response.touchpoint,
        "scores": {"nps": response.nps, "csat": response.csat, "ces": response.ces},
        "comment": response.comment or "",
        "attributes": dict(response.attributes or {}),
    }


def get_response(session: Session, *, response_id: int) -> Response | None:
    """Return a stored response by row id."""
    return session.get(Response, response_id)


def get_case_for(session: Session, *, response_id: int) -> Case | None:
    """Return the case made of a response, if any."""
    return session.scalars(select(Case).where(Case.response_id == response_id)).one_or_none()


def mark_routed(session: Session, *, response: Response, now: datetime) -> None:
    """Record that a response was routed.

    Called first in the routing transaction: the UPDATE takes the row lock (the write lock on
    SQLite), so two workers handed the same response run one after the other.
    """
    session.execute(
        update(Response)
        .where(Response.id == response.id)
        .values(routed_at=now, routing_error=None)
        .execution_options(synchronize_session=False)
    )
    response.routed_at = now


def open_case(
    session: Session, *, response: Response, outcome: RoutingOutcome, config: RouterConfig,
    now: datetime,
) -> tuple[Case, bool]:  # fmt: skip
    """Create the case of a dissatisfied response with its deliveries; return (case, created).

    Idempotent: an existing case is returned untouched, and a concurrent insert that wins the
    unique constraint on response_id is detected through a savepoint and its case returned.
    """
    existing = get_case_for(session, response_id=response.id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            case = _new_case(session, response=response, outcome=outcome, config=config, now=now)
    except IntegrityError:
        log.info("case already opened concurrently", extra={"response_id": response.id})
        existing = get_case_for(session, response_id=response.id)
        if existing is None:
            raise
        return existing, False
    return case, True


def _new_case(
    session: Session, *, response: Response, outcome: RoutingOutcome, config: RouterConfig,
    now: datetime,
) -> Case:  # fmt: skip
    assert outcome.priority is not None, "only dissatisfied responses become cases"
    owner = outcome.owner or config.route.receiver
    case = Case(
        response_id=response.id,
        status=CaseStatus.NEW,
        priority=outcome.priority,
        touchpoint=outcome.touchpoint,
        touchpoints={
            "chosen": outcome.touchpoint,
            "source": outcome.touchpoint_source,
            "detected": outcome.to_dict()["touchpoints"],
        },
        owner=owner,
        receivers={"receivers": list(outcome.receivers), "routes": list(outcome.routes)},
        reasons={"reasons": list(outcome.reasons)},
        polarity=outcome.polarity,
        subjectivity=outcome.subjectivity,
        analysis={
            "language": outcome.language,
            "analysed": outcome.analysed,
            "evidence": list(outcome.evidence),
            "labels": dict(outcome.labels),
            "routes_file": config.source,
        },
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    deliveries = _deliveries(case, outcome, config, now)
    session.add_all(deliveries)
    session.add_all(
        [
            CaseEvent(case_id=case.id, at=now, actor=ACTOR, action="created",
                      detail={"priority": case.priority, "touchpoint": case.touchpoint,
                              "owner": owner, "reasons": list(outcome.reasons)}),
            CaseEvent(case_id=case.id, at=now, actor=ACTOR, action="routed",
                      detail={"receivers": list(outcome.receivers),
                              "routes": list(outcome.routes),
                              "deliveries": len(deliveries),
                              "explanation": outcome.explanation}),
        ]
    )  # fmt: skip
    session.flush()
    return case


def _deliveries(
    case: Case, outcome: RoutingOutcome, config: RouterConfig, now: datetime
) -> list[Delivery]:
    """One pending delivery per (receiver, channel, target), each once."""
    keys = dict.fromkeys(
        (name, channel, target)
        for name in outcome.receivers
        for channel, target in config.receivers[name].targets()
    )
    return [
        Delivery(case_id=case.id, kind=DeliveryKind.ASSIGNMENT, step=0, receiver=name,
                 channel=channel, target=target, status=DeliveryStatus.PENDING,
                 created_at=now, due_at=now)
        for name, channel, target in keys
    ]  # fmt: skip


def pending_deliveries(session: Session, *, case: Case) -> list[int]:
    """Return the ids of a case's deliveries still waiting to be sent."""
    return list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.case_id == case.id, Delivery.status == DeliveryStatus.PENDING)
            .order_by(Delivery.id)
        )
    )


def unrouted_responses(
    session: Session, *, now: datetime, grace: timedelta, limit: int
) -> list[int]:
    """Claim responses never routed whose task was never sent or is overdue; return their ids.

    Their enqueued_at is set to now, so the next sweep waits another grace period for them.
    """
    ids = list(
        session.scalars(
            select(Response.id)
            .where(
                Response.routed_at.is_(None),
                or_(Response.enqueued_at.is_(None), Response.enqueued_at < now - grace),
            )
            .order_by(Response.id)
            .limit(limit)
        )
    )
    if ids:
        session.execute(
            update(Response)
            .where(Response.id.in_(ids))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def route_stored(
    session: Session, *, response_id: int, config: RouterConfig, detector: TouchpointDetector,
    now: datetime,
) -> list[int]:  # fmt: skip
    """Route one stored response in the caller's transaction; return the deliveries to send.

    A response routed before is not decided again (the routing file may have changed since):
    only its case's still-pending deliveries are returned, so a repeated task re-sends nothing
    that went out already.
    """
    response = get_response(session, response_id=response_id)
    if response is None:
        log.warning("response not found; nothing to route", extra={"response_id": response_id})
        return []
    if response.routed_at is not None:
        case = get_case_for(session, response_id=response.id)
        return pending_deliveries(session, case=case) if case is not None else []
    outcome = route_response(config, detector, generic_form(response))
    mark_routed(session, response=response, now=now)
    if not outcome.dissatisfied:
        log.info("response is not a case", extra={"response_id": response.id})
        return []
    case, created = open_case(session, response=response, outcome=outcome, config=config, now=now)
    log.info(
        "case opened" if created else "case already open",
        extra={"response_id": response.id, "case_id": case.id, "priority": case.priority,
               "touchpoint": case.touchpoint, "receivers": list(outcome.receivers)},
    )  # fmt: skip
    return pending_deliveries(session, case=case)
