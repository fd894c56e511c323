"""The router takes its messages in batches: each response still routed once, on its own."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from celery import Task
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxloop.router_worker import create_worker_app
from services.router import batch, service
from services.router.config import load_config
from services.router.decision import detector_for
from shared import task_names
from shared.batches import SimpleRequest
from shared.celery_app import create_celery
from shared.embedded import start_redis
from shared.models import Case, Delivery, Response
from shared.settings import Settings
from shared.sla import SlaRules
from tests.conftest import EXAMPLES
from tests.router.test_worker import batch_sizes, store
from tests.support.batches import routing_batch, task_batch
from tests.support.processes import start_worker
from tests.support.waiting import wait_until


def routed(sessions: sessionmaker[Session]) -> set[int]:
    with sessions() as session:
        return set(session.scalars(select(Response.id).where(Response.routed_at.is_not(None))))


def cases_per_response(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as session:
        counts = select(func.count()).select_from(Case).group_by(Case.response_id)
        return list(session.scalars(counts))


def run_routing(settings: Settings, requests: list[SimpleRequest]) -> int:
    """Run the router's batch task in this process, as a worker's pool process would."""
    app = create_worker_app(settings)
    task: Task = app.tasks[task_names.PROCESS_RESPONSE]
    try:
        return int(task(requests))
    finally:
        app.close()


@pytest.fixture
def batch_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.with_(
        redis_url=redis_url, routes_file=EXAMPLES / "retailer" / "routes.yml",
        worker_concurrency=1, log_format="text",
    )  # fmt: skip


def test_a_response_whose_routing_raises_holds_back_none_of_its_batch(
    batch_settings: Settings, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO, logger="services.router.tasks")
    ids = [store(sessions, f"b-{n}") for n in range(3)]
    broken = ids[1]
    route_into = service.route_into

    def route_or_break(batch: service.Batch, session: Session, *, response_id: int,
                       **kw: object) -> None:  # fmt: skip
        if response_id == broken:
            raise ValueError("a bug in one response's routing")
        route_into(batch, session, response_id=response_id, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "route_into", route_or_break)
    sent = run_routing(batch_settings, routing_batch(ids))

    assert routed(sessions) == {ids[0], ids[2]}  # the broken one waits for the sweep
    assert sent > 0  # the routed ones' alerts went to the notifier's queue
    assert "routed a batch of 3 responses (1 left to the sweep)" in caplog.text


def test_messages_naming_lists_are_routed_router_batch_size_to_a_transaction(
    batch_settings: Settings, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    # Ingest's group commit names several responses in one message; one named twice (a
    # redelivered message, a second group) is still routed once.
    caplog.set_level(logging.INFO, logger="services.router.tasks")
    ids = [store(sessions, f"group-{n}") for n in range(5)]
    chunks: list[list[int]] = []
    route_batch = batch.route_batch

    def recorded(sessions: sessionmaker[Session], ids: list[int], **kw: object) -> batch.Routed:
        chunks.append(list(ids))
        return route_batch(sessions, ids, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "route_batch", recorded)
    named = task_batch(task_names.PROCESS_RESPONSE, [ids[:3], ids[2:]])  # type: ignore[list-item]
    run_routing(batch_settings.with_(router_batch_size=2), named)

    assert routed(sessions) == set(ids)
    assert cases_per_response(sessions) == [1] * len(ids)
    assert chunks == [ids[:2], [ids[2], ids[2]], ids[3:]]  # each chunk claims its own
    assert "routed a batch of 6 responses (0 left to the sweep)" in caplog.text


@pytest.mark.slow
def test_a_burst_is_routed_in_batches_and_each_response_once(
    batch_settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    ids = [store(sessions, f"burst-{n}") for n in range(12)]
    celery = create_celery(batch_settings)
    for response_id in ids + ids:  # every message twice, as a redelivery would
        celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
    celery.close()

    worker = start_worker(
        "router", batch_settings.with_(router_batch_size=8, router_batch_wait_s=0.5), tmp_path
    )
    try:
        wait_until(lambda: routed(sessions) == set(ids))
        wait_until(lambda: sum(batch_sizes(worker)) == 2 * len(ids))
        sizes = batch_sizes(worker)
    finally:
        worker.stop()

    assert cases_per_response(sessions) == [1] * len(ids)
    assert max(sizes) == 8, sizes  # a batch fills up to its size instead of one per message


@pytest.mark.slow
def test_a_batch_waiting_when_the_broker_restarts_is_still_routed_on_time(
    batch_settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # The broker goes while a half-full batch waits for its flush timer, which the reconnecting
    # consumer clears. Without a new timer, neither it nor a lone later response were ever routed.
    sock = tmp_path / "broker" / "redis.sock"
    broker = start_redis(sock)
    settings = batch_settings.with_(
        redis_url=f"unix://{sock}", router_batch_size=20, router_batch_wait_s=5.0
    )
    worker = start_worker("router", settings, tmp_path)
    try:
        before = store(sessions, "before")
        send(settings, before)
        wait_until(lambda: "received" in worker.output(), 10, "the first message")
        broker.kill()
        broker.wait(timeout=10)
        broker = start_redis(sock)
        wait_until(lambda: worker.output().count("Connected to") == 2, 60, "the reconnect")

        after = store(sessions, "after")
        send(settings, after)
        wait_until(lambda: routed(sessions) == {before, after}, 30, "both to be routed")
    finally:
        worker.stop()
        broker.kill()
        broker.wait(timeout=10)


def send(settings: Settings, response_id: int) -> None:
    celery = create_celery(settings)
    celery.send_task(task_names.PROCESS_RESPONSE, args=[response_id])
    celery.close()


def test_a_batch_mixing_new_and_routed_responses_routes_each_once(
    sessions: sessionmaker[Session],
) -> None:
    config = load_config(EXAMPLES / "retailer" / "routes.yml")
    detector, sla = detector_for(config), SlaRules()

    def route(ids: list[int]) -> batch.Routed:
        return batch.route_batch(sessions, ids, config=config, detector=detector, sla=sla,
                                 until=time.monotonic() + 5)  # fmt: skip

    earlier = store(sessions, "mix-earlier")
    first = route([earlier]).delivery_ids
    assert first
    new = [store(sessions, f"mix-{n}") for n in range(3)]
    missing = max(new) + 100

    routed = route([new[0], earlier, missing, *new[1:]])
    assert not routed.failed
    assert cases_per_response(sessions) == [1] * 4
    with sessions() as session:
        cases = dict(session.execute(select(Case.response_id, Case.id)).all())
        pending = dict(session.execute(select(Delivery.id, Delivery.case_id)).all())
        decided = session.scalars(select(Response.id).where(Response.decision.is_not(None)))
        assert set(decided) == {earlier, *new}
    # The routed one's pending deliveries are sent again, with the new cases' own.
    assert sorted(routed.delivery_ids) == sorted(pending)
    assert {pending[d] for d in routed.delivery_ids} == {cases[r] for r in [earlier, *new]}
    again = route([*new, earlier])
    assert cases_per_response(sessions) == [1] * 4
    assert sorted(again.delivery_ids) == sorted(pending)  # none made twice
