"""A customer's new response ends the wait on their cases: routed for real, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.router import service
from services.router.config import RouterConfig, load_config
from services.router.decision import detector_for
from shared.db import transaction
from shared.models import Case, CaseEvent
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK
from shared.sla import sla_rules
from tests.desk.factories import make_case
from tests.router.test_service import NOW, store

PAUSED = datetime(2026, 10, 30, 12, tzinfo=UTC)  # the Friday before NOW (Monday 12:00, GMT)
DUE = datetime(2026, 11, 3, 12, tzinfo=UTC)


@pytest.fixture
def config(settings: Settings) -> RouterConfig:
    return load_config(settings.routes_file)


def waiting_case(session: Session, *, paused_at: datetime, email: str = "ann@example.com") -> int:
    case = make_case(session, status="waiting_on_customer", paused_at=paused_at,
                     resolve_due_at=DUE, acknowledged_at=PAUSED - timedelta(days=1))  # fmt: skip
    case.response.respondent_email = email
    return case.id


def route(sessions: sessionmaker[Session], config: RouterConfig, response_id: int) -> None:
    with transaction(sessions) as session:
        service.route_stored(
            session, response_id=response_id, config=config, detector=detector_for(config),
            now=NOW, sla=sla_rules(EXAMPLE_DESK),
        )  # fmt: skip


def test_a_new_response_from_the_customer_resumes_only_what_waited_on_them(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    reply_at = NOW - timedelta(hours=1)
    with transaction(sessions) as session:
        answered = waiting_case(session, paused_at=PAUSED)
        asked_later = waiting_case(session, paused_at=reply_at + timedelta(minutes=1))
        someone_else = waiting_case(session, paused_at=PAUSED, email="bob@example.com")
    reply = store(sessions, nps=9, comment="Here is the photo you asked for.",
                  respondent_email="ann@example.com", submitted_at=reply_at)  # fmt: skip
    route(sessions, config, reply)
    route(sessions, config, reply)  # a redelivered task: nothing more happens

    with sessions() as session:
        cases = {c.id: c for c in session.scalars(select(Case))}
        events = session.scalars(select(CaseEvent).where(CaseEvent.action == "resume")).all()
    resumed = cases[answered]
    assert (resumed.status, resumed.paused_at) == ("in_progress", None)
    assert resumed.paused_seconds == 72 * 3600
    # Nine working hours waited (Friday 12-18, Monday 9-12, London): Tuesday 12:00 becomes
    # Wednesday 12:00.
    assert resumed.resolve_due_at == datetime(2026, 11, 4, 12, tzinfo=UTC)
    assert cases[asked_later].status == cases[someone_else].status == "waiting_on_customer"
    assert [(e.case_id, e.actor, e.detail["reply_response_id"]) for e in events] == [
        (answered, "router", reply)
    ]
    assert events[0].detail["deadline_moved_by"] == "9h"
    assert events[0].detail["before"]["status"] == "waiting_on_customer"


def test_an_anonymous_response_resumes_nothing(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    with transaction(sessions) as session:
        case_id = waiting_case(session, paused_at=PAUSED)
    route(sessions, config, store(sessions))
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status == "waiting_on_customer"
