"""The SLA check reports how many open cases are past each deadline, and counts its escalations."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from services.desk.escalation import breached_counts, check_sla
from shared.db import transaction
from tests.desk.factories import T0, add_assignment, make_case
from tests.desk.test_escalation import CONFIG

HOUR = timedelta(hours=1)


def escalations(deadline: str) -> float:
    labels = {"deadline": deadline}
    return REGISTRY.get_sample_value("cxloop_sla_escalations_total", labels) or 0.0


def test_breaches_are_counted_by_the_deadline_still_to_meet(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        make_case(session, ack_due_at=T0, resolve_due_at=T0 + 9 * HOUR)  # acknowledge, late
        make_case(session, ack_due_at=T0, resolve_due_at=T0, acknowledged_at=T0)  # resolve, late
        make_case(session, ack_due_at=T0 + HOUR, resolve_due_at=T0)  # to acknowledge: not yet
        make_case(session, resolve_due_at=T0)  # no acknowledge deadline: resolve, late
        make_case(session, ack_due_at=T0, resolve_due_at=T0, status="resolved")  # closed out
        make_case(session)  # no deadlines at all

    with sessions() as session:
        assert breached_counts(session, now=T0) == {"acknowledge": 1, "resolve": 2}
        assert breached_counts(session, now=T0 - HOUR) == {"acknowledge": 0, "resolve": 0}


def test_the_sla_check_sets_the_gauge_and_counts_escalations_once_committed(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        add_assignment(session, make_case(session))
    before = escalations("acknowledge")

    check_sla(sessions, config=CONFIG, now=T0 + 2 * HOUR)  # stamps 1h to acknowledge: late

    breached = REGISTRY.get_sample_value("cxloop_sla_breached_cases", {"deadline": "acknowledge"})
    assert breached == 1
    assert escalations("acknowledge") == before + 1
    check_sla(sessions, config=CONFIG, now=T0 + 2 * HOUR)  # nothing new to escalate
    assert escalations("acknowledge") == before + 1
