"""Several events for one vendor response never make a second case; updates reach its timeline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Case, CaseEvent, Response
from shared.settings import Settings
from tests.sources import vendors
from tests.sources.flow import post_signed
from tests.support.processes import Process, start_worker
from tests.support.waiting import wait_until

CREATED = vendors.delighted_payload(score=1)
UPDATED = vendors.delighted_payload(
    event_type="survey_response.updated",
    score=1,
    comment="The courier threw my parcel over the fence.",
    updated_at=1732187444,
)


def post(client: FlaskClient, payload: dict) -> dict:
    return post_signed(client, "delighted", payload)


def open_case(sessions: sessionmaker[Session], response_id: int) -> int:
    """Open a case as the router would, to test what a later event does to it."""
    now = datetime.now(UTC)
    with sessions() as session, session.begin():
        session.get_one(Response, response_id).routed_at = now
        case = Case(
            response_id=response_id,
            priority="high",
            touchpoint="delivery",
            owner="delivery-team",
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        return case.id


def test_an_update_to_a_response_with_a_case_is_recorded_on_its_timeline(
    client: FlaskClient, sessions: sessionmaker[Session], rows: Callable[[], list[Response]]
) -> None:
    response_id = post(client, CREATED)["responses"][0]["id"]
    case_id = open_case(sessions, response_id)
    reply = post(client, UPDATED)
    assert reply["responses"] == [{"id": response_id, "outcome": "updated"}]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)).all()
    assert [(e.action, e.detail["changed"]) for e in events] == [("response_updated", ["comment"])]
    (row,) = rows()
    assert row.comment == UPDATED["event_data"]["comment"]
    assert row.routed_at is not None  # the case keeps its routing; nothing is re-sent


@pytest.fixture
def router(
    settings: Settings, redis_url: str, sources_file: Path, tmp_path: Path
) -> Iterator[Process]:
    worker = start_worker(
        "router",
        settings.with_(redis_url=redis_url, worker_concurrency=1, sources_file=sources_file),
        tmp_path,
    )
    yield worker
    worker.stop()


@pytest.mark.slow
def test_a_vendor_webhook_becomes_one_routed_case_through_a_real_router(
    client: FlaskClient, sessions: sessionmaker[Session], router: Process
) -> None:
    post(client, CREATED)

    def cases() -> list[Case]:
        with sessions() as session:
            return list(session.scalars(select(Case)))

    wait_until(lambda: len(cases()) == 1, 60)
    (case,) = cases()
    assert case.touchpoint == "delivery"
    post(client, UPDATED)
    post(client, UPDATED)  # the vendor's retry
    with sessions() as session:
        actions = session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id))
        assert list(actions).count("response_updated") == 1
    time.sleep(1.0)
    assert len(cases()) == 1
