"""Router persistence for cases: open one from a routed response, with deliveries and timeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, Row, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.router import incidents
from services.router.config import RouterConfig
from services.router.decision import RoutingOutcome, route_response
from services.router.incidents import FlushDue
from services.router.learning import Detector
from services.router.replies import resume_on_reply
from services.router.responses import (
    claim_all_unrouted,
    decision_params,
    generic_form,
    get_response,
    recent_cases,
    record_decisions,
    respondent_keys,
    respondents_with_cases,
)
from shared import metrics, silences
from shared.enums import CaseStatus, DeliveryKind, DeliveryStatus
from shared.models import Case, CaseEvent, Delivery
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


@dataclass
class Batch:
    """Responses routed in one transaction, and the statements it makes once for all of them
    instead of once for each: a statement costs the router more CPU than deciding a response.

    `claim` takes all its responses first (optional), `route_into` routes each one into the
    batch, and `finish`, last in the transaction, writes the decisions, deliveries and case
    events of them all, one statement each.
    """

    delivery_ids: list[int] = field(default_factory=list)  # to send, once `finish` has run
    flushes: list[FlushDue] = field(default_factory=list)  # incident alerts to schedule
    decisions: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    _silences: list[Row[Any]] | None = None
    _claimed: dict[int, Row[Any] | None] = field(default_factory=dict)
    _unchecked: list[Row[Any]] = field(default_factory=list)  # respondents not looked up yet
    _seen: set[tuple[str, str]] = field(default_factory=set)  # respondents with cases

    def claim(self, session: Session, response_ids: Sequence[int], now: datetime) -> None:
        """Claim these responses in one statement, for `route_into` to route one by one."""
        rows = claim_all_unrouted(session, response_ids=response_ids, now=now)
        self._claimed |= dict.fromkeys(response_ids) | {row.id: row for row in rows}
        self._unchecked += rows

    def seen_before(self, session: Session, response: Row[Any], window: timedelta) -> bool:
        """Whether the response's respondent has cases to count or resume, looked up once for
        the batch's respondents (`respondents_with_cases`)."""
        if self._unchecked:
            self._seen |= respondents_with_cases(session, self._unchecked, window=window)
            self._unchecked = []
        return bool(respondent_keys(response) & self._seen)

    def opened(self, response: Row[Any]) -> None:
        """A case of the respondent was opened in this batch: their next responses count it."""
        self._seen |= respondent_keys(response)

    def claimed(self, session: Session, response_id: int, now: datetime) -> Row[Any] | None:
        """The response's routing fields if this batch claimed it (None: routed before); one
        not claimed with the batch is claimed now."""
        if response_id not in self._claimed:
            self.claim(session, [response_id], now)
        return self._claimed.pop(response_id)

    def silences(self, session: Session, now: datetime) -> list[Row[Any]]:
        """The silences in force, read once per transaction (a batch lasts milliseconds)."""
        if self._silences is None:
            self._silences = silences.active(session, now=now)
        return self._silences

    def finish(self, session: Session) -> None:
        """Write what was deferred; the new deliveries' ids join `delivery_ids`."""
        conn = session.connection()
        record_decisions(session, self.decisions)
        if self.deliveries:
            # All pending: their ids come back with the insert, not from a query.
            self.delivery_ids += conn.execute(_DELIVERY_INSERT, self.deliveries).scalars()
        if self.events:
            conn.execute(_EVENTS, self.events)
        self.decisions, self.deliveries, self.events = [], [], []


def open_case(
    session: Session, *, response_id: int, outcome: RoutingOutcome, config: RouterConfig,
    now: datetime, sla: SlaRules = NO_RULES, historical_at: datetime | None = None,
) -> tuple[int, bool]:  # fmt: skip
    """Create the case of a dissatisfied response with its deliveries; return (case id, created)."""
    batch = Batch()
    case_id, created = _open_case(
        session, response_id=response_id, outcome=outcome, config=config, now=now, sla=sla,
        historical_at=historical_at, batch=batch,
    )  # fmt: skip
    batch.finish(session)
    return case_id, created


def _open_case(
    session: Session, *, response_id: int, outcome: RoutingOutcome, config: RouterConfig,
    now: datetime, batch: Batch, sla: SlaRules = NO_RULES, historical_at: datetime | None = None,
) -> tuple[int, bool]:  # fmt: skip
    """Open the case into the batch; return its id and whether it was made now (else it existed).

    Idempotent without a savepoint: the case INSERT does nothing on a conflict with a case of the
    same response (opened before, or by a concurrent transaction it waited for), and the
    existing case's id is returned. Core statements, no unit of work; its deliveries and events
    are written by the batch's `finish`.
    The SLA deadlines are stamped now, so the first alert can say what is due by when.
    A historical case (imported with --no-alerts) is created closed at historical_at, the
    time the customer answered, with no deadlines and no delivery: nobody is paged for it.
    A matched route that groups pages through its incident instead: the case joins it, and
    the incident alerts still to schedule are appended to `batch.flushes`.
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
        return existing, False
    silence = (
        None
        if historical_at is not None
        else silences.first_matching(batch.silences(session, now), outcome.labels)
    )
    paged = historical_at is None and silence is None
    nodes = config.nodes(outcome.routes) if paged else ()
    per_case = tuple(dict.fromkeys(node.receiver for node in nodes if node.grouping is None))
    deliveries = _deliveries(case_id, per_case, config, now)
    joined = incidents.join_all(session, case_id=case_id, nodes=nodes, labels=outcome.labels,
                                config=config, now=now, flushes=batch.flushes)  # fmt: skip
    batch.deliveries += deliveries
    if silence is not None:
        batch.events.append({
            "case_id": case_id, "at": now, "actor": ACTOR, "action": "silenced",
            "detail": {"silence_id": silence.id, "matchers": silence.matchers["matchers"],
                       "comment": silence.comment, "created_by": silence.created_by,
                       "ends_at": silence.ends_at.isoformat()},
        })  # fmt: skip
    batch.events.extend(
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
    return case_id, True


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
    now: datetime, sla: SlaRules = NO_RULES,
) -> list[int]:  # fmt: skip
    """Route one stored response in the caller's transaction; return the deliveries to send."""
    batch = Batch()
    route_into(batch, session, response_id=response_id, config=config, detector=detector,
               now=now, sla=sla)  # fmt: skip
    batch.finish(session)
    return batch.delivery_ids


def route_into(
    batch: Batch, session: Session, *, response_id: int, config: RouterConfig,
    detector: Detector, now: datetime, sla: SlaRules = NO_RULES,
) -> None:  # fmt: skip
    """Route one stored response into the batch (the caller calls `batch.finish` before commit).

    A response routed before is not decided again (the routing file may have changed since):
    only its case's still-pending deliveries (and its incidents' scheduled alerts) join the
    batch, so a repeated task re-sends nothing that went out already.
    """
    response = batch.claimed(session, response_id, now)
    if response is None:
        _routed_before(session, response_id=response_id, batch=batch)
        return
    window = timedelta(days=config.priority.repeat_window_days)
    seen = batch.seen_before(session, response, window)
    recent = recent_cases(
        session, response_id=response_id, respondent_id=response.respondent_id,
        respondent_email=response.respondent_email, submitted_at=response.submitted_at,
        window=window,
    ) if seen else 0  # fmt: skip
    outcome = route_response(config, detector, generic_form(response), recent_cases=recent)
    batch.decisions.append(decision_params(response_id, outcome))
    if seen and not response.historical:
        resume_on_reply(session, reply=response, rules=sla, now=now)
    metrics.after_commit(session, lambda: metrics.decided(dissatisfied=outcome.dissatisfied))
    if not outcome.dissatisfied:
        log.info("response is not a case", extra={"response_id": response_id})
        return
    historical_at = response.submitted_at if response.historical else None
    case_id, created = _open_case(
        session, response_id=response_id, outcome=outcome, config=config, now=now, sla=sla,
        historical_at=historical_at, batch=batch,
    )  # fmt: skip
    if created:
        batch.opened(response)
    if created and historical_at is None:
        waited = (now - response.received_at).total_seconds()
        metrics.after_commit(session, lambda: metrics.case_opened(
            touchpoint=outcome.touchpoint, priority=str(outcome.priority),
            seconds_since_received=waited,
        ))  # fmt: skip
    log.info(
        "case opened" if created else "case already open",
        extra={"response_id": response_id, "case_id": case_id, "priority": outcome.priority,
               "touchpoint": outcome.touchpoint, "receivers": list(outcome.receivers)},
    )  # fmt: skip
    if not created:
        _routed_before(session, response_id=response_id, batch=batch)


def _routed_before(session: Session, *, response_id: int, batch: Batch) -> None:
    """Add the pending deliveries (and scheduled incident alerts) of a response routed before."""
    case_id = case_id_for(session, response_id=response_id)
    if case_id is not None:
        batch.flushes.extend(incidents.scheduled_flushes(session, case_id=case_id))
        batch.delivery_ids += pending_deliveries(session, case_id=case_id)
        return
    if get_response(session, response_id=response_id) is None:
        log.warning("response not found; nothing to route", extra={"response_id": response_id})
