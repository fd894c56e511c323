"""Webhook events share transactions under load, and what is stored is always sent or left for
the sweep."""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis
from flask import Flask

from services.ingest.enqueue import route_new
from services.ingest.group_commit import GroupCommit
from services.ingest.sources.store import Stored, store_submissions
from shared import task_names
from shared.broker import named_ids
from shared.models import Response
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.ingest.test_group_commit import until
from tests.sources import vendors
from tests.sources.vendors import signed


def post(app: Flask, source: str, payload: dict[str, Any]) -> Any:
    request = signed(source, payload)
    return app.test_client().post(
        f"/v1/webhooks/{source}", data=request.body, headers=request.headers
    )


class HeldGroup:
    """The app's webhook group commit, its first commit held open until `release`."""

    def __init__(self, app: Flask) -> None:
        ingest = app.extensions["cxloop"]
        self.calls: list[int] = []
        self.hold, self.entered = threading.Event(), threading.Event()

        def commit(items: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> list[Stored]:
            self.calls.append(len(items))
            self.entered.set()
            assert self.hold.wait(10)
            return store_submissions(ingest.sessions, items)

        self.group = GroupCommit(
            commit, after=functools.partial(route_new, ingest.celery, ingest.sessions),
            max_items=100,
        )  # fmt: skip
        app.extensions["cxloop"] = dataclasses.replace(ingest, webhook_commits=self.group)

    def release_when_waiting(self, count: int) -> None:
        until(lambda: self.group.waiting == count)
        self.hold.set()


def routed(redis_url: str) -> list[list[int]]:
    """The response ids each routing message in the queue names."""
    messages = redis.Redis.from_url(redis_url).lrange(task_names.ROUTER_QUEUE, 0, -1)
    return sorted(
        sorted(named_ids(json.loads(json.loads(m)["headers"]["argsrepr"])[0])) for m in messages
    )


def test_events_arriving_during_a_commit_share_the_next_one_and_one_routing_message(
    app: Flask, rows: Callable[[], list[Response]], redis_url: str
) -> None:
    held = HeldGroup(app)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(post, app, "typeform", vendors.typeform_payload(token="first"))
        assert held.entered.wait(10)
        others = [
            pool.submit(post, app, "typeform", vendors.typeform_payload(token=f"other-{i}"))
            for i in range(3)
        ]
        held.release_when_waiting(3)
        replies = [first.result(10)] + [f.result(10) for f in others]
    assert [r.status_code for r in replies] == [200] * 4
    assert held.calls == [1, 3]  # the three events that waited: one transaction
    stored = rows()
    assert len(stored) == 4 and all(r.enqueued_at is not None for r in stored)
    ids = {r.external_id: r.id for r in stored}
    assert routed(redis_url) == sorted(
        [[ids["first"]], sorted(ids[f"other-{i}"] for i in range(3))]
    )


def test_two_events_of_one_response_in_one_group_leave_the_newer_and_route_it_once(
    app: Flask, rows: Callable[[], list[Response]], redis_url: str
) -> None:
    created = vendors.delighted_payload(score=2)
    updated = vendors.delighted_payload(
        event_type="survey_response.updated", score=2, comment="Two weeks late.",
        updated_at=1732187444,
    )  # fmt: skip
    held = HeldGroup(app)
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(post, app, "typeform", vendors.typeform_payload(token="first"))
        assert held.entered.wait(10)
        both = [pool.submit(post, app, "delighted", p) for p in (created, updated)]
        held.release_when_waiting(2)
        replies = [first.result(10)] + [f.result(10) for f in both]
    assert [r.status_code for r in replies] == [200] * 3
    assert held.calls == [1, 2]
    (row,) = [r for r in rows() if r.source == "delighted"]
    assert row.comment == "Two weeks late."  # whichever event the group stored first
    assert row.enqueued_at is not None and row.routed_at is None
    assert sum(ids.count(row.id) for ids in routed(redis_url)) == 1


def test_with_the_broker_down_an_event_is_stored_answered_and_left_for_the_sweep(
    make_app: Callable[[Settings], Flask],
    settings: Settings,
    sources_file: Path,
    rows: Callable[[], list[Response]],
) -> None:
    down = make_app(settings.with_(sources_file=sources_file, secret_key=Secret("t")))
    reply = post(down, "typeform", vendors.typeform_payload(token="while-down"))
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["responses"][0]["outcome"] == "created"
    (row,) = rows()
    assert row.enqueued_at is None and row.routed_at is None  # the routing sweep sends it
