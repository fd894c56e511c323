"""A real router worker on real Redis: cases opened and corrected; repeats change nothing."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared import task_names
from shared.celery_app import create_celery
from shared.db import transaction
from shared.models import Case, CaseEvent, Delivery, Response, TouchpointCorrection
from shared.settings import Settings
from tests.desk.factories import make_case
from tests.support.processes import Process, start_worker
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def worker_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.with_(redis_url=redis_url, worker_concurrency=1)


@pytest.fixture
def router(worker_settings: Settings, tmp_path: Path) -> Iterator[Process]:
    worker = start_worker("router", worker_settings, tmp_path)
    yield worker
    worker.stop()


@pytest.fixture
def celery(worker_settings: Settings) -> Celery:
    return create_celery(worker_settings)


def store(sessions: sessionmaker[Session], external_id: str) -> int:
    """Commit an enterprise delivery detractor's response as ingest would, without its task."""
    with sessions() as session, session.begin():
        response = Response(
            source="test", external_id=external_id, submitted_at=datetime.now(UTC), nps=1,
            comment="The courier left my parcel in the rain, ruined. I want my money back.",
            attributes={"region": "us", "plan": "enterprise"},  # high value: a p1
        )  # fmt: skip
        session.add(response)
        session.flush()
        return response.id


def queued_deliveries(redis_url: str, task: str = task_names.DELIVER) -> list[int]:
    """Delivery ids the `notifier.deliver` tasks waiting in the notifier queue name (or the case
    ids of `notifier.refresh_alerts`, the only other task the router sends the notifier)."""
    client = redis.Redis.from_url(redis_url)
    ids = []
    for raw in client.lrange(task_names.NOTIFIER_QUEUE, 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] in (task_names.DELIVER, task_names.REFRESH_ALERTS)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        named = args[0] if isinstance(args[0], list) else [args[0]]  # a batch's: a list
        ids.extend(named if message["headers"]["task"] == task else [])
    return sorted(ids)


def case_rows(sessions: sessionmaker[Session]) -> tuple[int, list[int]]:
    with sessions() as session:
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        return cases, list(session.scalars(select(Delivery.id).order_by(Delivery.id)))


def test_a_worker_turns_a_stored_response_into_a_case_once(
    router: Process, celery: Celery, sessions: sessionmaker[Session], redis_url: str
) -> None:
    response_id = store(sessions, "w-1")
    celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
    wait_until(lambda: case_rows(sessions)[0] == 1 and queued_deliveries(redis_url))
    _, delivery_ids = case_rows(sessions)
    wait_until(lambda: queued_deliveries(redis_url) == delivery_ids)
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert (case.priority, case.touchpoint, case.owner) == ("p1", "delivery", "delivery-us")
        assert {d.receiver for d in case.deliveries} == {"cx-champions", "delivery-us"}
        assert {d.status for d in case.deliveries} == {"pending"}

    celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
    celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
    wait_until(lambda: sum(batch_sizes(router)) == 3)
    # Still-pending deliveries are handed over again (the notifier claims each once), once per
    # batch the repeats came in ...
    queued = queued_deliveries(redis_url)
    assert queued in (sorted(delivery_ids * 2), sorted(delivery_ids * 3))
    # ... but nothing new is created.
    assert case_rows(sessions) == (1, delivery_ids)


def batch_sizes(worker: Process) -> list[int]:
    """The sizes of the batches of responses the worker has routed, from its log."""
    return [int(n) for n in re.findall(r"routed a batch of (\d+)", worker.output())]


def test_the_sweep_routes_a_response_whose_task_was_never_sent(
    router: Process, celery: Celery, sessions: sessionmaker[Session]
) -> None:
    response_id = store(sessions, "w-lost")
    celery.send_task(task_names.SWEEP_UNROUTED)

    def routed() -> bool:
        with sessions() as session:
            response = session.get(Response, response_id)
            return response is not None and response.routed_at is not None

    wait_until(routed)
    assert case_rows(sessions)[0] == 1


def test_a_bad_routing_file_stops_the_worker_with_file_key_and_reason(
    worker_settings: Settings, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.yml"
    routes.write_text(
        "touchpoints: {delivery: {description: parcels}}\n"
        "receivers: [{name: champs, email: [champs@example.com]}]\n"
        "route:\n  receiver: champs\n  routes:\n    - {matchers: ['touchpoint = \"delivery\"'], "
        "receiver: delivery-tem}\n"
    )
    worker = Process(
        ["worker", "router"], worker_settings.with_(routes_file=routes), tmp_path / "bad.log"
    ).start()
    assert worker.proc is not None
    assert worker.proc.wait(timeout=60) == 1
    output = worker.output()
    assert f"{routes}: route.routes[0].receiver: undefined receiver 'delivery-tem'" in output
    assert "Traceback" not in output


def test_a_lost_correction_is_swept_and_a_repeated_one_changes_nothing(
    router: Process, celery: Celery, sessions: sessionmaker[Session], redis_url: str
) -> None:
    celery.send_task(task_names.PROCESS_RESPONSE, args=[store(sessions, "w-move")])
    first = wait_until(lambda: queued_deliveries(redis_url), what="the first routing's alerts")
    with sessions() as session, session.begin():
        case = session.scalars(select(Case)).one()
        correction = TouchpointCorrection(
            case_id=case.id, comment=case.response.comment, from_touchpoint=case.touchpoint,
            to_touchpoint="billing", actor="champ@example.com",
            at=datetime.now(UTC) - timedelta(minutes=5),  # its task was lost long ago
        )  # fmt: skip
        session.add(correction)
        session.flush()
        correction_id = correction.id
    celery.send_task(task_names.SWEEP_CORRECTIONS)

    def applied() -> bool:
        with sessions() as session:
            row = session.get(TouchpointCorrection, correction_id)
            return row is not None and row.applied_at is not None

    wait_until(applied, what="the swept correction to be applied")
    moved = wait_until(
        lambda: len(queued_deliveries(redis_url)) > len(first) and queued_deliveries(redis_url)
    )
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert (case.touchpoint, case.owner) == ("billing", "billing-team")
        kinds = session.execute(select(Delivery.kind, Delivery.receiver).where(Delivery.step > 0))
        assert sorted(kinds) == [
            ("assignment", "billing-team"),  # billing-lead@example.com
            ("rerouted", "delivery-us"),  # by email
            ("rerouted", "delivery-us"),  # and on Slack
        ]
        count = session.scalar(select(func.count()).select_from(Delivery))
    # The case's posted Slack alerts are brought up to date with the move.
    wait_until(lambda: queued_deliveries(redis_url, task_names.REFRESH_ALERTS) == [case.id],
               what="the case's Slack alerts to be refreshed")  # fmt: skip

    celery.send_task(task_names.REROUTE_CASE, args=[correction_id])
    wait_until(lambda: len(queued_deliveries(redis_url)) > len(moved), what="the repeat to run")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == count
        events = session.scalars(select(CaseEvent.action).where(CaseEvent.action == "rerouted"))
        assert list(events) == ["rerouted"]


def test_a_worker_resumes_the_case_a_customer_answers_once(
    router: Process, celery: Celery, sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        waiting = make_case(
            session, status="waiting_on_customer", paused_at=now - timedelta(hours=2),
            acknowledged_at=now - timedelta(days=1), resolve_due_at=now,
        )  # fmt: skip
        case_id = waiting.id
    with sessions() as session, session.begin():
        answer = Response(source="test", external_id="w-answer", submitted_at=now, nps=9,
                          comment="Here is the photo you asked for.",
                          respondent_email="ann@example.com")  # fmt: skip
        session.add(answer)
        session.flush()
        answer_id = answer.id
    for _ in range(2):  # a redelivered task
        celery.send_task(task_names.PROCESS_RESPONSE, args=[answer_id])
    sentinel = store(sessions, "w-after")  # one worker process: routed after both of those
    celery.send_task(task_names.PROCESS_RESPONSE, args=[sentinel])
    wait_until(lambda: case_rows(sessions)[0] == 2)

    with sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.status, case.paused_at) == ("in_progress", None)
        assert case.paused_seconds >= 2 * 3600 and case.resolve_due_at is not None
        assert case.resolve_due_at >= now
        events = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.action == "resume")
        ).all()
    assert [(e.actor, e.detail["reply_response_id"]) for e in events] == [("router", answer_id)]
