"""Touchpoint model versions on both databases: training when due, the gate, rollback, use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from services.router import model_service, service
from services.router.config import RouterConfig, load_config
from services.router.decision import detector_for
from services.router.learning import Example
from shared.enums import ModelStatus
from shared.models import Case, Response, TouchpointCorrection
from shared.settings import Settings
from tests.desk.factories import make_case

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SPOTS = ["by the lifts", "at the station", "in town", "near work", "downstairs"]


@pytest.fixture
def config(settings: Settings) -> RouterConfig:
    return load_config(settings.routes_file)


def zipbox(start: int, n: int) -> list[Example]:
    """Complaints naming Zipbox, the retailer's pick-up locker, which no description mentions."""
    return [
        Example(f"Zipbox {SPOTS[i % 5]} was empty again, visit {i}", "delivery")
        for i in range(start, start + n)
    ]


def described(n: int) -> list[Example]:
    """Complaints the descriptions route right."""
    kinds = [
        ("My card was declined at checkout", "checkout"),
        ("I was double charged on the invoice", "billing"),
    ]
    return [Example(f"{kinds[i % 2][0]} (order {i})", kinds[i % 2][1]) for i in range(n)]


def correct(sessions: sessionmaker[Session], examples: Sequence[Example]) -> None:
    """Store one case per example and a correction of its touchpoint, as the desk would."""
    with sessions() as session, session.begin():
        for example in examples:
            case = make_case(session, comment=example.text, touchpoint="support")
            session.add(
                TouchpointCorrection(
                    case_id=case.id, comment=example.text, from_touchpoint="support",
                    to_touchpoint=example.touchpoint, actor="ann@example.com", at=NOW,
                )
            )  # fmt: skip


def confirm(
    sessions: sessionmaker[Session], examples: Sequence[Example], *, status: str = "closed",
    source: str = "detected",
) -> None:  # fmt: skip
    """Store one case per example, routed to its touchpoint and then closed as routed."""
    with sessions() as session, session.begin():
        for example in examples:
            make_case(
                session, comment=example.text, touchpoint=example.touchpoint, status=status,
                touchpoints={"chosen": example.touchpoint, "source": source},
            )  # fmt: skip


def retrain(sessions: sessionmaker[Session], config: RouterConfig, min_new: int = 20):  # type: ignore[no-untyped-def]
    return model_service.retrain(
        sessions, config=config, detector=detector_for(config), min_new=min_new, now=NOW
    )


def statuses(sessions: sessionmaker[Session]) -> dict[int, str]:
    with sessions() as session:
        return {m.id: m.status for m in model_service.list_models(session)}


def test_versions_train_when_due_and_roll_back_to_the_previous_active(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    correct(sessions, zipbox(0, 60))
    confirm(sessions, described(60))
    first = retrain(sessions, config)
    assert first is not None and first.status == ModelStatus.ACTIVE
    assert first.metrics["blend_accuracy"] > first.metrics["descriptions_accuracy"]
    assert first.examples == first.metrics["refitted_on"] == 120
    assert retrain(sessions, config) is None  # nothing new: a repeated task does nothing
    correct(sessions, zipbox(60, 10))
    assert retrain(sessions, config) is None  # fewer new corrections than min_new
    correct(sessions, zipbox(70, 10))
    second = retrain(sessions, config)
    assert second is not None
    assert statuses(sessions) == {second.id: "active", first.id: "retired"}

    with sessions() as session, session.begin():
        retired, restored = model_service.rollback(session, now=NOW)
    assert (retired and retired.id, restored and restored.id) == (second.id, first.id)
    assert statuses(sessions) == {second.id: "retired", first.id: "active"}
    with sessions() as session, session.begin():
        retired, restored = model_service.rollback(session, now=NOW)
    assert (retired and retired.id, restored) == (first.id, None)
    assert "active" not in statuses(sessions).values()
    with sessions() as session, session.begin():
        assert model_service.rollback(session, now=NOW) == (None, None)


def test_a_version_that_does_not_beat_descriptions_is_rejected(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    correct(sessions, described(20))  # moved back to where the descriptions had routed them
    confirm(sessions, described(80))
    row = retrain(sessions, config)
    assert row is not None and row.status == ModelStatus.REJECTED
    assert "does not beat descriptions alone" in row.metrics["reason"]
    with sessions() as session:
        assert model_service.active_model(session) is None


def test_a_case_corrected_twice_is_one_example_with_its_last_label(
    sessions: sessionmaker[Session],
) -> None:
    correct(sessions, [Example("Zipbox was empty", "store")])
    with sessions() as session, session.begin():
        case_id = session.scalar(select(Case.id))
        session.add(
            TouchpointCorrection(
                case_id=case_id, comment="Zipbox was empty", from_touchpoint="store",
                to_touchpoint="delivery", actor="bob@example.com", at=NOW,
            )
        )  # fmt: skip
    with sessions() as session:
        found = model_service.training_set(session)
    assert found.examples == [Example("Zipbox was empty", "delivery")]
    assert found.new == 2


def newest(session: Session) -> Case:
    case = session.scalar(select(Case).order_by(Case.id.desc()).limit(1))
    assert case is not None
    return case


def test_cases_closed_as_routed_are_confirmations(sessions: sessionmaker[Session]) -> None:
    confirm(sessions, [Example("Card declined at checkout", "checkout")])
    confirm(sessions, [Example("Parcel left in the rain", "general")], source="default")
    confirm(sessions, [Example("Double charged", "billing")], status="resolved")
    confirm(sessions, [Example("Still waiting for a reply", "support")], status="in_progress")
    confirm(sessions, [Example("Said so in the survey", "billing")], source="explicit")
    confirm(sessions, [Example("   ", "billing")])
    confirm(sessions, [Example("Imported, closed on arrival", "billing")])
    with sessions() as session, session.begin():
        newest(session).resolution_note = service.HISTORICAL_NOTE
    correct(sessions, [Example("Zipbox was empty", "delivery")])
    with sessions() as session, session.begin():  # a corrected case closed later: a correction
        newest(session).status = "closed"
    with sessions() as session:
        found = model_service.confirmations(session)
        newest_two = model_service.confirmations(session, limit=2)
    assert found == [
        Example("Double charged", "billing", confirmed=True),
        Example("Parcel left in the rain", "general", confirmed=True),
        Example("Card declined at checkout", "checkout", confirmed=True),
    ]
    assert newest_two == found[:2]


def test_corrections_without_confirmations_switch_no_model_on(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    correct(sessions, zipbox(0, 120))
    row = retrain(sessions, config)
    assert row is not None and row.status == ModelStatus.REJECTED
    assert row.metrics["descriptions_accuracy"] == 0.0
    assert "confirmations" in row.metrics["reason"]
    confirm(sessions, described(60))
    correct(sessions, zipbox(120, 20))
    assert retrain(sessions, config).status == ModelStatus.ACTIVE


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_router_routes_with_the_active_version_until_it_is_rolled_back(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    correct(sessions, zipbox(0, 60))
    confirm(sessions, described(60))
    version = retrain(sessions, config)
    assert version is not None and version.status == ModelStatus.ACTIVE
    plain, clock = detector_for(config), Clock()
    active = model_service.ActiveModel(refresh_s=30, clock=clock)
    text = "Zipbox on Mill Road has been empty for a week, useless"
    detector = active.detector(sessions, config, plain)  # as the task does, before routing
    with sessions() as session, session.begin():
        response = Response(source="test", external_id="z-1", submitted_at=NOW, nps=1, comment=text)
        session.add(response)
        session.flush()
        service.route_stored(
            session, response_id=response.id, config=config,
            detector=detector, now=NOW,
        )  # fmt: skip
        case = session.scalar(select(Case).where(Case.response_id == response.id))
        assert case is not None
        assert case.touchpoint == "delivery"
        learnt = case.events[1].detail["explanation"].split(f"learnt v{version.id}: ")[1]
        assert "zipbox" in learnt.split("'")[0]

    with sessions() as session, session.begin():
        model_service.rollback(session, now=NOW)
    assert active.detector(sessions, config, plain) is not plain  # not asked again yet
    clock.now = 30
    assert active.detector(sessions, config, plain) is plain
