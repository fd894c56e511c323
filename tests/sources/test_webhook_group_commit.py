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


def post_typeform(app: Flask, token: str) -> Any:
    request = signed("typeform", vendors.typeform_payload(token=token))
    return app.test_client().post(
        "/v1/webhooks/typeform", data=request.body, headers=request.headers
    )


def test_events_arriving_during_a_commit_share_the_next_one_and_one_routing_message(
    app: Flask, rows: Callable[[], list[Response]], redis_url: str
) -> None:
    ingest = app.extensions["cxloop"]
    calls: list[int] = []
    hold, entered = threading.Event(), threading.Event()

    def commit(items: Sequence[tuple[dict[str, Any], dict[str, Any]]]) -> list[Stored]:
        calls.append(len(items))
        entered.set()
        assert hold.wait(10)
        return store_submissions(ingest.sessions, items)

    group = GroupCommit(
        commit, after=functools.partial(route_new, ingest.celery, ingest.sessions), max_items=100
    )
    app.extensions["cxloop"] = dataclasses.replace(ingest, webhook_commits=group)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(post_typeform, app, "first")
        assert entered.wait(10)
        others = [pool.submit(post_typeform, app, f"other-{i}") for i in range(3)]
        until(lambda: group.waiting == 3)
        hold.set()
        replies = [first.result(10)] + [f.result(10) for f in others]
    assert [r.status_code for r in replies] == [200] * 4
    assert calls == [1, 3]  # the three events that waited: one transaction
    stored = rows()
    assert len(stored) == 4 and all(r.enqueued_at is not None for r in stored)
    messages = redis.Redis.from_url(redis_url).lrange(task_names.ROUTER_QUEUE, 0, -1)
    named = sorted(
        sorted(named_ids(json.loads(json.loads(m)["headers"]["argsrepr"])[0])) for m in messages
    )
    ids = {r.external_id: r.id for r in stored}
    assert named == sorted([[ids["first"]], sorted(ids[f"other-{i}"] for i in range(3))])


def test_with_the_broker_down_an_event_is_stored_answered_and_left_for_the_sweep(
    make_app: Callable[[Settings], Flask],
    settings: Settings,
    sources_file: Path,
    rows: Callable[[], list[Response]],
) -> None:
    down = make_app(settings.with_(sources_file=sources_file, secret_key=Secret("t")))
    reply = post_typeform(down, "while-down")
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["responses"][0]["outcome"] == "created"
    (row,) = rows()
    assert row.enqueued_at is None and row.routed_at is None  # the routing sweep sends it
