"""Case persistence on both databases: idempotent cases, one delivery per target, the sweep."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.router import responses, service
from services.router.config import RouterConfig, load_config
from services.router.decision import detector_for, route_response
from services.router.policy import OnDisagreement
from services.router.severity import RECENT_CASES_COUNTED
from shared import silences
from shared.db import make_engine, make_session_factory
from shared.models import Case, CaseEvent, Delivery, Response
from shared.settings import Settings

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
def config(settings: Settings) -> RouterConfig:
    return load_config(settings.routes_file)


def store(sessions: sessionmaker[Session], **fields: Any) -> int:
    """Commit a response as ingest would (an enterprise delivery detractor in the EU, a p1)."""
    values: dict[str, Any] = {
        "source": "test",
        "external_id": f"r-{next(_ids)}",
        "submitted_at": NOW - timedelta(hours=1),
        "nps": 2,
        "comment": "The parcel arrived two days late and the box was crushed.",
        "attributes": {"region": "eu", "plan": "enterprise"},
    }
    with sessions() as session, session.begin():
        response = Response(**(values | fields))
        session.add(response)
        session.flush()
        return response.id


def route(sessions: sessionmaker[Session], config: RouterConfig, response_id: int) -> list[int]:
    with sessions() as session, session.begin():
        return service.route_stored(
            session, response_id=response_id, config=config, detector=detector_for(config),
            now=NOW,
        )  # fmt: skip


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_dissatisfied_response_becomes_one_case_with_a_delivery_per_target(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    response_id = store(sessions)
    delivery_ids = route(sessions, config, response_id)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.response_id == response_id
        assert (case.status, case.priority, case.touchpoint) == ("new", "p1", "delivery")
        assert case.owner == "delivery-eu"  # champions get a copy of every p1
        assert case.receivers["receivers"] == ["cx-champions", "delivery-eu"]
        assert case.reasons["reasons"][0] == "NPS 2 is a detractor (0-6)"
        assert case.polarity is not None and case.polarity < 0
        targets = [(d.receiver, d.channel, d.target, d.status) for d in case.deliveries]
        assert targets == [
            ("cx-champions", "email", "cx-champions@example.com", "pending"),
            ("cx-champions", "slack", "channel:#cx-champions", "pending"),
            ("delivery-eu", "email", "delivery-eu-lead@example.com", "pending"),
            ("delivery-eu", "email", "logistics-emea@example.com", "pending"),
            ("delivery-eu", "slack", "channel:#delivery-eu", "pending"),
        ]
        assert delivery_ids == [d.id for d in case.deliveries]
        assert [e.action for e in case.events] == ["created", "routed"]
        assert "Owner delivery-eu; routed to cx-champions" in case.events[1].detail["explanation"]
        assert session.get(Response, response_id).routed_at == NOW  # type: ignore[union-attr]


def test_routing_the_same_response_twice_creates_nothing_new(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    response_id = store(sessions)
    first = route(sessions, config, response_id)
    second = route(sessions, config, response_id)
    assert second == first  # still pending: handed to the notifier again, which claims once
    assert (count(sessions, Case), count(sessions, Delivery), count(sessions, CaseEvent)) == (
        1, 5, 2,
    )  # fmt: skip


def test_open_case_returns_the_existing_case(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    response_id = store(sessions)
    with sessions() as session, session.begin():
        response = session.get(Response, response_id)
        assert response is not None
        outcome = route_response(config, detector_for(config), responses.generic_form(response))
        first, created = service.open_case(
            session, response_id=response_id, outcome=outcome, config=config, now=NOW
        )
        again, created_again = service.open_case(
            session, response_id=response_id, outcome=outcome, config=config, now=NOW
        )
    assert created and not created_again and again == first
    assert count(sessions, Delivery) == 5


@pytest.fixture
def pg_sessions(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(postgres_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.mark.postgres
def test_a_concurrent_insert_of_the_same_case_is_absorbed(
    pg_sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """Two transactions open the case at once: the loser's unique violation becomes a no-op.

    PostgreSQL only: SQLite lets one writer in at a time, so there the race cannot happen.
    """
    sessions = pg_sessions
    config = load_config(Settings().routes_file)
    caplog.set_level(logging.INFO, logger=service.__name__)
    response_id = store(sessions)
    results: list[tuple[int, bool]] = []

    def open_case(session: Session) -> None:
        response = session.get(Response, response_id)
        assert response is not None
        outcome = route_response(config, detector_for(config), responses.generic_form(response))
        case_id, created = service.open_case(
            session, response_id=response_id, outcome=outcome, config=config, now=NOW
        )
        results.append((case_id, created))

    def loser() -> None:
        with sessions() as session, session.begin():
            open_case(session)

    with sessions() as session, session.begin():
        open_case(session)
        thread = threading.Thread(target=loser)
        thread.start()
        thread.join(timeout=1)  # it found no case and now waits on our uncommitted row
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [created for _, created in results] == [True, False]
    assert results[0][0] == results[1][0]
    assert "case already opened concurrently" in caplog.messages
    assert (count(sessions, Case), count(sessions, Delivery)) == (1, 5)


def test_a_satisfied_response_is_marked_routed_without_a_case(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    response_id = store(sessions, nps=10, comment="Quick delivery, lovely packaging.")
    assert route(sessions, config, response_id) == []
    assert count(sessions, Case) == 0
    with sessions() as session:
        assert session.get(Response, response_id).routed_at == NOW  # type: ignore[union-attr]


def test_a_promoter_with_a_complaint_becomes_a_flagged_check_case(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    response_id = store(sessions, nps=10, comment="Courier two hours late.", attributes={})
    route(sessions, config, response_id)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert (case.priority, case.disagreement) == ("p3", "happy_score_negative_comment")
        assert case.reasons["reasons"][-1] == (
            "score and comment disagree: a low-priority check case (p3)"
        )
        decision = session.get(Response, response_id).decision  # type: ignore[union-attr]
        assert decision["disagreement"] == "happy_score_negative_comment"


def test_by_policy_a_disagreement_is_flagged_on_the_response_without_a_case(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    policy = dataclasses.replace(config.thresholds, on_disagreement=OnDisagreement.NONE)
    quiet = dataclasses.replace(config, thresholds=policy)
    response_id = store(sessions, nps=0, comment="Lovely staff, great service!")
    assert route(sessions, quiet, response_id) == []
    assert count(sessions, Case) == 0
    with sessions() as session:
        decision = session.get(Response, response_id).decision  # type: ignore[union-attr]
        assert decision["disagreement"] == "unhappy_score_praising_comment"
        assert decision["dissatisfied"] is False


def test_a_silenced_case_is_opened_and_audited_but_nobody_is_paged(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    with sessions() as session, session.begin():
        silence = silences.create(
            session,
            silences.NewSilence(('touchpoint = "delivery"',), NOW + timedelta(hours=1),
                                "courier strike, INC-7", "champ@example.com"),
            now=NOW - timedelta(minutes=5),
        )  # fmt: skip
        silence_id = silence.id
    assert route(sessions, config, store(sessions)) == []
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.touchpoint == "delivery" and case.deliveries == []
        silenced = [e for e in case.events if e.action == "silenced"]
        assert silenced[0].detail["silence_id"] == silence_id
        assert silenced[0].detail["comment"] == "courier strike, INC-7"
    with sessions() as session, session.begin():
        silences.expire(session, silence_id, by="champ@example.com", now=NOW)
    paged = store(sessions, comment="The parcel never arrived and the courier lied.")
    assert len(route(sessions, config, paged)) == 5  # the silence is over: alerts again


def test_a_missing_response_is_skipped(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    assert route(sessions, config, 424242) == []


def priority_of(sessions: sessionmaker[Session], response_id: int) -> tuple[str, list[str]]:
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.response_id == response_id)).one()
        return case.priority, case.reasons["reasons"]


def test_a_repeat_complainer_gets_a_higher_priority(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    """NPS 2 and a strongly negative comment: P2 (5 points); +2 for a repeat complainer: P1."""
    plain = {"attributes": {"region": "eu"}}  # not enterprise: no customer-value points
    first = store(sessions, respondent_email="ann@example.com", **plain)
    route(sessions, config, first)
    assert priority_of(sessions, first)[0] == "p2"
    again = store(sessions, respondent_email="ann@example.com",
                  submitted_at=NOW - timedelta(days=3), **plain)  # fmt: skip
    stranger = store(sessions, respondent_email="bob@example.com", **plain)
    route(sessions, config, again)
    route(sessions, config, stranger)
    priority, reasons = priority_of(sessions, again)
    assert priority == "p1"
    assert "repeat complainer: 1 other case(s) in 30 days (+2)" in reasons[-1]
    assert priority_of(sessions, stranger)[0] == "p2"


def test_in_a_batch_a_repeat_complainer_counts_cases_from_before_and_from_the_same_batch(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    """The batch looks its respondents up once; a case it opens counts for the next response."""
    plain = {"attributes": {"region": "eu"}}  # not enterprise: P2 alone, P1 as a repeat
    route(sessions, config, store(sessions, respondent_id="c-9", **plain))  # an earlier batch
    ids = [
        store(sessions, respondent_id="c-9", **plain),  # seen before
        store(sessions, respondent_email="new@example.com", **plain),  # new...
        store(sessions, respondent_email="new@example.com", **plain),  # ...and again
        store(sessions, respondent_email="other@example.com", **plain),  # new, once
    ]
    with sessions() as session, session.begin():
        batch = service.Batch()
        batch.claim(session, ids, NOW)
        for response_id in ids:
            service.route_into(batch, session, response_id=response_id, config=config,
                               detector=detector_for(config), now=NOW)  # fmt: skip
        batch.finish(session)
    assert [priority_of(sessions, i)[0] for i in ids] == ["p1", "p2", "p1", "p2"]


@pytest.mark.parametrize(
    ("who", "days_apart", "window_days", "expected"),
    [
        ({"respondent_id": "c-1"}, 10, 30, 2),  # both earlier cases, matched by id
        ({"respondent_email": "ann@example.com"}, 10, 30, 1),  # the one with the email
        ({"respondent_id": "c-1", "respondent_email": "ann@example.com"}, 10, 30, 2),
        ({"respondent_id": "c-1"}, -10, 30, 2),  # either side: routed out of order
        ({"respondent_id": "c-1"}, 40, 30, 0),  # outside the window
        ({"respondent_id": "c-1"}, 10, 0, 0),  # lookup off
        ({"respondent_id": "c-2"}, 10, 30, 0),  # someone else
        ({}, 10, 30, 0),  # anonymous: no query at all
    ],
)  # fmt: skip
def test_recent_cases_counts_the_respondents_other_cases_in_the_window(
    sessions: sessionmaker[Session], config: RouterConfig, who: dict[str, str],
    days_apart: int, window_days: int, expected: int,
) -> None:  # fmt: skip
    for email in ("ann@example.com", None):
        response_id = store(sessions, respondent_id="c-1", respondent_email=email)
        route(sessions, config, response_id)
    store(sessions, respondent_id="c-1", nps=10, comment="Great")  # satisfied: no case
    this = store(sessions, submitted_at=NOW + timedelta(days=days_apart), **who)
    route(sessions, config, this)  # its own case is never counted
    with sessions() as session:
        counted = responses.recent_cases(
            session, response_id=this, respondent_id=who.get("respondent_id"),
            respondent_email=who.get("respondent_email"),
            submitted_at=NOW + timedelta(days=days_apart), window=timedelta(days=window_days),
        )  # fmt: skip
    assert counted == expected


def test_a_shared_respondent_id_is_counted_up_to_the_cap(
    sessions: sessionmaker[Session], config: RouterConfig
) -> None:
    """An id many responses share ("unknown", a team mailbox) costs each of them a bounded count."""
    for _ in range(RECENT_CASES_COUNTED + 2):
        route(sessions, config, store(sessions, respondent_id="unknown"))
    with sessions() as session:
        counted = responses.recent_cases(
            session, response_id=-1, respondent_id="unknown", respondent_email=None,
            submitted_at=NOW, window=timedelta(days=30),
        )  # fmt: skip
    assert counted == RECENT_CASES_COUNTED


def sweep(
    session: Session, *, now: datetime, limit: int = 10, overdue_limit: int = 10
) -> list[int]:
    return responses.unrouted_responses(
        session, now=now, grace=timedelta(seconds=40), limit=limit, overdue_limit=overdue_limit
    )


def test_the_sweep_claims_unrouted_responses_never_sent_or_overdue(
    sessions: sessionmaker[Session],
) -> None:
    grace = timedelta(seconds=40)
    never_sent = store(sessions)
    overdue = store(sessions, enqueued_at=NOW - timedelta(minutes=5))
    queued = store(sessions, enqueued_at=NOW - timedelta(seconds=10))  # its task is probably queued
    store(sessions, routed_at=NOW - timedelta(minutes=5))  # done
    with sessions() as session, session.begin():
        claimed = sweep(session, now=NOW)
    assert claimed == [never_sent, overdue]
    with sessions() as session, session.begin():
        assert sweep(session, now=NOW) == []
        later = sweep(session, now=NOW + grace * 2, limit=1)
    assert later == [queued], "the longest overdue first"


def test_under_a_backlog_the_sweep_sends_every_never_sent_response_but_few_overdue_ones(
    sessions: sessionmaker[Session],
) -> None:
    waiting = [store(sessions, enqueued_at=NOW - timedelta(minutes=m)) for m in (3, 9, 5, 7)]
    never_sent = [store(sessions), store(sessions)]
    with sessions() as session, session.begin():
        claimed = sweep(session, now=NOW, overdue_limit=2)
    oldest_two = [waiting[1], waiting[3]]
    assert claimed == never_sent + oldest_two
    with sessions() as session, session.begin():
        assert sweep(session, now=NOW, overdue_limit=2) == [waiting[2], waiting[0]]
        assert sweep(session, now=NOW, overdue_limit=2) == []
