"""Re-routing a corrected case on both databases: once per correction, both owners alerted."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import load_desk_config
from services.desk.escalation import targets_for
from services.notifier import alert_content
from services.router import reroute
from services.router.config import RouterConfig, load_config
from services.router.decision import detector_for
from shared.models import Case, CaseEvent, Delivery, TouchpointCorrection
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK
from tests.router.test_service import NOW, route, store

LATER = NOW + timedelta(minutes=5)


@pytest.fixture
def config(settings: Settings) -> RouterConfig:
    return load_config(settings.routes_file)


def open_case(sessions: sessionmaker[Session], config: RouterConfig) -> int:
    """A p1 delivery complaint from the EU: owned by delivery-eu, champions copied."""
    route(sessions, config, store(sessions))
    with sessions() as session:
        return session.scalars(select(Case.id)).one()


def correct(sessions: sessionmaker[Session], case_id: int, to: str, *, at: datetime = LATER) -> int:
    """Store a correction as the desk does (the desk's own tests cover its checks)."""
    with sessions() as session, session.begin():
        case = session.get(Case, case_id)
        assert case is not None
        correction = TouchpointCorrection(
            case_id=case_id, comment=case.response.comment, from_touchpoint=case.touchpoint,
            to_touchpoint=to, actor="champ@example.com", at=at,
        )  # fmt: skip
        session.add(correction)
        session.flush()
        return correction.id


def apply(sessions: sessionmaker[Session], config: RouterConfig, correction_id: int) -> list[int]:
    with sessions() as session, session.begin():
        return reroute.apply_correction(
            session, correction_id=correction_id, config=config, detector=detector_for(config),
            now=LATER,
        )  # fmt: skip


def deliveries(sessions: sessionmaker[Session], case_id: int) -> list[tuple[str, int, str, str]]:
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.case_id == case_id).order_by("id"))
        return [(d.kind, d.step, d.receiver, d.target) for d in rows]


def test_a_correction_moves_the_case_and_alerts_the_new_owner_and_the_old(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    case_id = open_case(sessions, config)
    before = deliveries(sessions, case_id)
    correction_id = correct(sessions, case_id, "billing")
    with sessions() as session, session.begin():
        snoozed = session.get(Case, case_id)
        assert snoozed is not None
        snoozed.snoozed_until = LATER + timedelta(hours=1)  # the old owner snoozed it
    sent = apply(sessions, config, correction_id)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.touchpoint, case.owner) == ("billing", "billing-team")
        assert case.snoozed_until is None
        assert case.receivers["receivers"] == ["cx-champions", "billing-team"]
        assert case.touchpoints["source"] == "corrected"
        assert case.touchpoints["corrected"] == {
            "from": "delivery", "by": "champ@example.com", "correction_id": correction_id,
        }  # fmt: skip
        event = session.scalars(select(CaseEvent).where(CaseEvent.action == "rerouted")).one()
        assert event.detail["before"] == {"touchpoint": "delivery", "owner": "delivery-eu"}
        assert event.detail["after"] == {"touchpoint": "billing", "owner": "billing-team"}
        assert event.detail["explanation"].startswith(
            "touchpoint corrected from delivery to billing by champ@example.com. Owner billing-team"
        )
        correction = session.get(TouchpointCorrection, correction_id)
        assert correction is not None and correction.applied_at == LATER
    new = deliveries(sessions, case_id)[len(before) :]
    # The champions keep the case (p1) and hear nothing new; delivery-eu is told it moved.
    assert new == [
        ("assignment", event.id, "billing-team", "billing-lead@example.com"),
        ("rerouted", event.id, "delivery-eu", "delivery-eu-lead@example.com"),
        ("rerouted", event.id, "delivery-eu", "logistics-emea@example.com"),
        ("rerouted", event.id, "delivery-eu", "channel:#delivery-eu"),
    ]
    assert len(sent) == len(before) + 4  # the first routing's alerts are still pending here


def test_applying_the_same_correction_twice_moves_once(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    case_id = open_case(sessions, config)
    correction_id = correct(sessions, case_id, "billing")
    first = apply(sessions, config, correction_id)
    again = apply(sessions, config, correction_id)
    assert again == first  # still pending: handed to the notifier again, which claims once
    with sessions() as session:
        moves = session.scalars(select(CaseEvent).where(CaseEvent.action == "rerouted")).all()
        assert len(moves) == 1
    assert len(deliveries(sessions, case_id)) == 5 + 4


def test_moving_a_case_back_alerts_its_first_owner_again(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    case_id = open_case(sessions, config)
    apply(sessions, config, correct(sessions, case_id, "billing"))
    apply(sessions, config, correct(sessions, case_id, "delivery", at=LATER + timedelta(1)))
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and (case.touchpoint, case.owner) == ("delivery", "delivery-eu")
        back = session.scalars(select(CaseEvent).where(CaseEvent.action == "rerouted")).all()[-1]
    rows = deliveries(sessions, case_id)
    assert [r for r in rows if r[1] == back.id] == [
        ("assignment", back.id, "delivery-eu", "delivery-eu-lead@example.com"),
        ("assignment", back.id, "delivery-eu", "logistics-emea@example.com"),
        ("assignment", back.id, "delivery-eu", "channel:#delivery-eu"),
        ("rerouted", back.id, "billing-team", "billing-lead@example.com"),
    ]


def test_the_alerts_say_where_the_case_came_from_and_where_it_went(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    case_id = open_case(sessions, config)
    apply(sessions, config, correct(sessions, case_id, "billing"))
    with sessions() as session:
        rows = session.scalars(
            select(Delivery).where(Delivery.case_id == case_id, Delivery.step > 0)
        ).all()
        alerts = {
            d.kind: alert_content.build_alert(
                d, public_url="https://cx.example.com", move=alert_content.move_of(session, d)
            )
            for d in rows
        }
        first = session.scalars(select(Delivery).where(Delivery.step == 0)).first()
        assert first is not None and alert_content.move_of(session, first) is None
    assert (
        alerts["assignment"].headline == f"[P1] Case #{case_id} moved to you (delivery → billing)"
    )
    assert "champ@example.com corrected its touchpoint from delivery to billing" in (
        alerts["assignment"].move_text
    )
    assert "it was with delivery-eu" in alerts["assignment"].move_text
    assert alerts["rerouted"].headline == f"[P1] Case #{case_id} moved to billing-team (billing)"
    assert "now belongs to billing-team" in alerts["rerouted"].move_text


def test_the_sweep_finds_corrections_whose_task_was_lost(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    case_id = open_case(sessions, config)
    applied = correct(sessions, case_id, "billing")
    apply(sessions, config, applied)
    lost = correct(sessions, case_id, "store", at=LATER)
    fresh = correct(sessions, case_id, "support", at=LATER + timedelta(minutes=10))
    with sessions() as session:
        due = reroute.unapplied_corrections(
            session, now=LATER + timedelta(minutes=10, seconds=30), grace=timedelta(seconds=40),
            limit=10,
        )  # fmt: skip
    assert due == [lost]
    assert fresh not in due


def test_escalating_to_the_owner_after_a_move_reaches_the_new_owner_only(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    case_id = open_case(sessions, config)
    apply(sessions, config, correct(sessions, case_id, "billing"))
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        targets = targets_for(session, to="owner", case=case, config=load_desk_config(EXAMPLE_DESK))
    assert ("email", "billing-lead@example.com") in targets
    assert ("email", "cx-champions@example.com") in targets  # still a receiver (p1)
    assert not [t for t in targets if "delivery" in t[1] or "logistics" in t[1]]
