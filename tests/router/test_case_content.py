"""What a new case carries for its alerts: one delivery per address, SLA deadlines, the decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.router import service
from services.router.config import ConfigError, RouterConfig, parse_config
from services.router.decision import detector_for
from services.router.service import NO_RULES
from shared.models import Case, Delivery, Response
from shared.sla import SlaRules, parse_sla_rules
from tests.router.test_service import NOW, store

SHARED_ADDRESS = """
touchpoints:
  delivery: {description: parcels and couriers, keywords: [parcel, courier]}
receivers:
  - name: cx-champions
    email: [lead@example.com]
    slack: [{channel: "#cx"}]
  - name: delivery-eu
    email: [lead@example.com, ops@example.com]
    slack: [{channel: "#cx"}]
route:
  receiver: cx-champions
  routes:
    - matchers: ['touchpoint="delivery"', 'region="eu"']
      receiver: delivery-eu
      continue: true
    - matchers: ['nps_category="detractor"']
      receiver: cx-champions
"""
SLA = parse_sla_rules({"sla": [{"priority": "p1", "acknowledge": "1h", "resolve": "1d",
                                   "business_hours": False},
                                  {"acknowledge": "4h", "resolve": "3d"}]})  # fmt: skip


def route(
    sessions: sessionmaker[Session], config: RouterConfig, response_id: int,
    sla: SlaRules = NO_RULES,
) -> list[int]:  # fmt: skip
    with sessions() as session, session.begin():
        return service.route_stored(
            session, response_id=response_id, config=config, detector=detector_for(config),
            now=NOW, sla=sla,
        )  # fmt: skip


def test_two_receivers_with_the_same_address_produce_one_delivery_per_address(
    sessions: sessionmaker[Session],
) -> None:
    config = parse_config(SHARED_ADDRESS)
    response_id = store(sessions)
    ids = route(sessions, config, response_id)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.receivers["receivers"] == ["delivery-eu", "cx-champions"]
        targets = [(d.receiver, d.channel, d.target) for d in case.deliveries]
    assert targets == [
        ("delivery-eu", "email", "lead@example.com"),
        ("delivery-eu", "email", "ops@example.com"),
        ("delivery-eu", "slack", "channel:#cx"),
    ]
    assert len(ids) == 3
    assert route(sessions, config, response_id) == ids  # a repeat creates nothing new


def test_a_new_case_has_its_sla_deadlines_before_any_alert_is_sent(
    sessions: sessionmaker[Session],
) -> None:
    config = parse_config(SHARED_ADDRESS)
    route(sessions, config, store(sessions), sla=SLA)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
    ack, resolve = {"p1": (1, 24)}.get(case.priority, (4, 72))  # the policy of its priority
    assert case.ack_due_at == NOW + timedelta(hours=ack)
    assert case.resolve_due_at == NOW + timedelta(hours=resolve)


def test_the_case_names_the_attributes_its_alerts_show(sessions: sessionmaker[Session]) -> None:
    inferred = parse_config(SHARED_ADDRESS)
    assert inferred.alert_attributes == ("region",)  # the attributes the matchers use
    chosen = parse_config(SHARED_ADDRESS + "alert_attributes: [plan, region]\n")
    route(sessions, chosen, store(sessions))
    with sessions() as session:
        case = session.scalars(select(Case)).one()
    assert case.analysis["alert_attributes"] == ["plan", "region"]


def test_alert_attributes_must_be_customer_attributes() -> None:
    with pytest.raises(ConfigError, match=r"alert_attributes\[1\].*computed by the router"):
        parse_config(SHARED_ADDRESS + "alert_attributes: [plan, priority]\n")


def test_every_response_keeps_the_decision_and_its_reasons(sessions: sessionmaker[Session]) -> None:
    config = parse_config(SHARED_ADDRESS)
    happy = store(sessions, nps=10, comment="Lovely courier, parcel on time.")
    unhappy = store(sessions)
    route(sessions, config, happy)
    route(sessions, config, unhappy)
    with sessions() as session:
        calm = session.get(Response, happy)
        case = session.get(Response, unhappy)
        assert calm is not None and case is not None
        assert calm.decision is not None and calm.decision["dissatisfied"] is False
        assert calm.decision["reasons"][0] == "NPS 10 is a promoter (9-10)"
        assert case.decision is not None and case.decision["dissatisfied"] is True
        assert case.decision["priority"] in ("p1", "p2", "p3")
        assert case.decision["receivers"] == ["delivery-eu", "cx-champions"]


def test_history_becomes_a_closed_case_at_its_own_date_and_pages_nobody(
    sessions: sessionmaker[Session],
) -> None:
    config = parse_config(SHARED_ADDRESS)
    answered = NOW - timedelta(days=200)
    response_id = store(sessions, submitted_at=answered, raw={"historical": True})
    assert route(sessions, config, response_id, sla=SLA) == []
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert (case.status, case.created_at, case.closed_at) == ("closed", answered, answered)
        assert case.ack_due_at is None and case.resolve_due_at is None
        assert case.events[0].detail["historical"] is True
        assert session.scalars(select(Delivery)).all() == []
