"""Router persistence for cases: open one from a routed response, with deliveries and timeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.router import incidents
from services.router.config import RouterConfig
from services.router.decision import RoutingOutcome, route_response
from services.router.incidents import FlushDue
from services.router.learning import Detector
from services.router.replies import resume_on_reply
from services.router.responses import (
    claim_unrouted,
    generic_form,
    get_response,
    recent_cases,
    record_decision,
)
from shared import metrics
from shared.enums import CaseStatus, DeliveryKind, DeliveryStatus
from shared.models import Case, CaseEvent, Delivery
from shared.silences import silencing
from shared.sla import SlaRules, deadlines_for

log = logging.getLogger(__name__)
ACTOR = "router"
NO_RULES = SlaRules()  # no desk file: cases get their deadlines from the desk's stamp later
HISTORICAL_NOTE = "Imported history (cxloop import --no-alerts): closed on arrival, nobody alerted."


def case_id_for(session: Session, *, response_id: int) -> int | None:
    """Return the id of the case made of a response, if any."""
    return session.scalar(select(Case.id).where(Case.response_id == response_id))


def _insert_case(dialect_name: str) -> Insert:
    """INSERT ... ON CONFLICT (response_id) DO NOTHING RETURNING id, for one dialect."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(Case)
        .on_conflict_do_nothing(index_elements=["response_id"])
        .returning(Case.id)
    )


_CASE_INSERTS = {name: _insert_case(name) for name in ("postgresql", "sqlite")}
_DELIVERY_INSERT = insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True)
_EVENTS = insert(CaseEvent)


def open_case(
    session: Session, *, response_id: int, outcome: RoutingOutcome, config: RouterConfig,
    now: datetime, sla: SlaRules = NO_RULES, historical_at: datetime | None = None,
) -> tuple[int, bool]:  # fmt: skip
    """Create the case of a dissatisfied response with its deliveries; return (case id, created)."""
    case_id, new_deliveries = _open_case(
        session, response_id=response_id, outcome=outcome, config=config, now=now, sla=sla,
        historical_at=historical_at,
    )  # fmt: skip
    return case_id, new_deliveries is not None


def _open_case(
    session: Session, *, response_id: int, outcome: RoutingOutcome, config: RouterConfig,
    now: datetime, sla: SlaRules = NO_RULES, historical_at: datetime | None = None,
    flushes: list[FlushDue] | None = None,
) -> tuple[int, list[int] | None]:  # fmt: skip
    """Open the case; return its id and the ids of the deliveries made (None: it existed).

    Idempotent without a savepoint: the case INSERT does nothing on a conflict with a case of the
    same response (opened before, or by a concurrent transaction it waited for), and the
    existing case's id is returned. Core statements: three round trips, no unit of work.
    The SLA deadlines are stamped now, so the first alert can say what is due by when.
    A historical case (imported with --no-alerts) is created closed at historical_at, the
    time the customer answered, with no deadlines and no delivery: nobody is paged for it.
    A matched route that groups pages through its incident instead: the case joins it, and
    the incident alerts still to schedule are appended to `flushes`.
    """
    assert outcome.priority is not None, "only dissatisfied responses become cases"
    conn = session.connection()
    owner = outcome.owner or config.route.receiver
    values = _case_values(
        response_id=response_id, outcome=outcome, owner=owner, config=config, now=now
    )
    if historical_at is not None:
        values |= {"status": CaseStatus.CLOSED, "created_at": historical_at,
                   "closed_at": historical_at, "resolution_note": HISTORICAL_NOTE}  # fmt: skip
    else:
        due = deadlines_for(sla, priority=str(outcome.priority), touchpoint=outcome.touchpoint,
                            created_at=now, team=sla.receiver_teams.get(owner))  # fmt: skip
        if due is not None:
            values |= {"ack_due_at": due.acknowledge, "resolve_due_at": due.resolve}
    case_id = conn.execute(_CASE_INSERTS[conn.dialect.name], values).scalar_one_or_none()
    if case_id is None:
        log.info("case already opened concurrently", extra={"response_id": response_id})
        existing = case_id_for(session, response_id=response_id)
        assert existing is not None, "a conflicting case is visible once its insert returns"
        return existing, None
    silence = None if historical_at is not None else silencing(session, outcome.labels, now=now)
    paged = historical_at is None and silence is None
    nodes = config.nodes(outcome.routes) if paged else ()
    per_case = tuple(dict.fromkeys(node.receiver for node in nodes if node.grouping is None))
    deliveries = _deliveries(case_id, per_case, config, now)
    joined = incidents.join_all(session, case_id=case_id, nodes=nodes, labels=outcome.labels,
                                config=config, now=now, flushes=flushes)  # fmt: skip
    # The new deliveries are all pending: their ids come back with the insert, not from a query.
    delivery_ids = list(conn.execute(_DELIVERY_INSERT, deliveries).scalars()) if deliveries else []
    if silence is not None:
        conn.execute(_EVENTS, {
            "case_id": case_id, "at": now, "actor": ACTOR, "action": "silenced",
            "detail": {"silence_id": silence.id, "matchers": silence.matchers["matchers"],
                       "comment": silence.comment, "created_by": silence.created_by,
                       "ends_at": silence.ends_at.isoformat()},
        })  # fmt: skip
    conn.execute(
        _EVENTS,
        [
            {"case_id": case_id, "at": now, "actor": ACTOR, "action": "created",
             "detail": {"priority": outcome.priority, "touchpoint": outcome.touchpoint,
                        "owner": owner, "reasons": list(outcome.reasons),
                        **({"historical": True} if historical_at is not None else {})}},
            {"case_id": case_id, "at": now, "actor": ACTOR, "action": "routed",
             "detail": {"receivers": list(outcome.receivers), "routes": list(outcome.routes),
                        "deliveries": len(deliveries), "explanation": outcome.explanation,
                        **({"incidents": joined} if joined else {})}},
        ],
    )  # fmt: skip
    return case_id, delivery_ids


def _case_values(
    *, response_id: int, outcome: RoutingOutcome, owner: str, config: RouterConfig,
    now: datetime,
) -> dict[str, Any]:  # fmt: skip
    return {
        "response_id": response_id,
        "status": CaseStatus.NEW,
        "priority": outcome.priority,
        "touchpoint": outcome.touchpoint,
        "touchpoints": {
            "chosen": outcome.touchpoint,
            "source": outcome.touchpoint_source,
            "detected": outcome.to_dict()["touchpoints"],
        },
        "owner": owner,
        "receivers": {"receivers": list(outcome.receivers), "routes": list(outcome.routes)},
        "reasons": {"reasons": list(outcome.reasons)},
        "polarity": outcome.polarity,
        "subjectivity": outcome.subjectivity,
        "disagreement": outcome.disagreement,
        "analysis": {
            "language": outcome.language,
            "analysed": outcome.analysed,
            "evidence": list(outcome.evidence),
            "labels": dict(outcome.labels),
            "routes_file": config.source,
            "alert_attributes": list(config.alert_attributes),
            "private_receivers": [n for n, r in config.receivers.items() if not r.personal_data],
        },
        "created_at": now,
        "updated_at": now,
    }


def one_per_address(receivers: Sequence[str], config: RouterConfig) -> dict[tuple[str, str], str]:
    """Map each (channel, target) of these receivers to the first receiver that has it."""
    keys: dict[tuple[str, str], str] = {}
    for name in receivers:
        for channel, target in config.receivers[name].targets():
            keys.setdefault((channel, target), name)
    return keys


def _deliveries(
    case_id: int, receivers: Sequence[str], config: RouterConfig, now: datetime
) -> list[dict[str, Any]]:
    """One pending delivery per (channel, target): an address two receivers share gets one alert.

    The first receiver in routing order keeps it, so the unique key (case, receiver, channel,
    target) still makes a repeated routing harmless.
    """
    keys = one_per_address(receivers, config)
    return [
        {"case_id": case_id, "kind": DeliveryKind.ASSIGNMENT, "step": 0, "receiver": name,
         "channel": channel, "target": target, "status": DeliveryStatus.PENDING,
         "attempts": 0, "created_at": now, "due_at": now}
        for (channel, target), name in keys.items()
    ]  # fmt: skip


def pending_deliveries(session: Session, *, case_id: int) -> list[int]:
    """Return the ids of a case's deliveries still waiting to be sent."""
    return list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.case_id == case_id, Delivery.status == DeliveryStatus.PENDING)
            .order_by(Delivery.id)
        )
    )


def route_stored(
    session: Session, *, response_id: int, config: RouterConfig, detector: Detector,
    now: datetime, sla: SlaRules = NO_RULES, flushes: list[FlushDue] | None = None,
) -> list[int]:  # fmt: skip
    """Route one stored response in the caller's transaction; return the deliveries to send.

    A response routed before is not decided again (the routing file may have changed since):
    only its case's still-pending deliveries (and its incidents' scheduled alerts, into
    `flushes`) are returned, so a repeated task re-sends nothing that went out already.
    """
    response = claim_unrouted(session, response_id=response_id, now=now)
    if response is None:
        return _routed_before(session, response_id=response_id, flushes=flushes)
    recent = recent_cases(
        session, response_id=response_id, respondent_id=response.respondent_id,
        respondent_email=response.respondent_email, submitted_at=response.submitted_at,
        window=timedelta(days=config.priority.repeat_window_days),
    )  # fmt: skip
    outcome = route_response(config, detector, generic_form(response), recent_cases=recent)
    record_decision(session, response_id=response_id, outcome=outcome)
    if not response.historical:
        resume_on_reply(session, reply=response, rules=sla, now=now)
    metrics.after_commit(session, lambda: metrics.decided(dissatisfied=outcome.dissatisfied))
    if not outcome.dissatisfied:
        log.info("response is not a case", extra={"response_id": response_id})
        return []
    historical_at = response.submitted_at if response.historical else None
    case_id, new_deliveries = _open_case(
        session, response_id=response_id, outcome=outcome, config=config, now=now, sla=sla,
        historical_at=historical_at, flushes=flushes,
    )  # fmt: skip
    if new_deliveries is not None and historical_at is None:
        waited = (now - response.received_at).total_seconds()
        metrics.after_commit(session, lambda: metrics.case_opened(
            touchpoint=outcome.touchpoint, priority=str(outcome.priority),
            seconds_since_received=waited,
        ))  # fmt: skip
    log.info(
        "case already open" if new_deliveries is None else "case opened",
        extra={"response_id": response_id, "case_id": case_id, "priority": outcome.priority,
               "touchpoint": outcome.touchpoint, "receivers": list(outcome.receivers)},
    )  # fmt: skip
    if new_deliveries is None:
        return _routed_before(session, response_id=response_id, flushes=flushes)
    return new_deliveries


def _routed_before(
    session: Session, *, response_id: int, flushes: list[FlushDue] | None = None
) -> list[int]:
    """The pending deliveries (and scheduled incident alerts) of a response routed before."""
    case_id = case_id_for(session, response_id=response_id)
    if case_id is not None:
        if flushes is not None:
            flushes.extend(incidents.scheduled_flushes(session, case_id=case_id))
        return pending_deliveries(session, case_id=case_id)
    if get_response(session, response_id=response_id) is None:
        log.warning("response not found; nothing to route", extra={"response_id": response_id})
    return []
