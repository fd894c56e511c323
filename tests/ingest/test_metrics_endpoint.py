"""GET /metrics of the ingest app: a scope of its own, and counters that follow real requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from shared.settings import Settings
from tests.ingest.payloads import auth, generic

SCRAPE_KEY = "scrape-key"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def client(
    make_app: Callable[[Settings], Flask], settings: Settings, redis_url: str
) -> FlaskClient:
    keys = (*settings.api_keys, f"metrics-read:{SCRAPE_KEY}")
    return make_app(settings.with_(redis_url=redis_url, api_keys=keys)).test_client()


def scrape(client: FlaskClient) -> Samples:
    reply = client.get("/metrics", headers=auth(SCRAPE_KEY))
    assert reply.status_code == 200
    assert reply.content_type.startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(reply.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_need_a_key_with_the_metrics_read_scope(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth()).status_code == 403  # ingest and cases only
    assert client.get("/metrics", headers=auth(SCRAPE_KEY)).status_code == 200


def test_posts_move_the_counters_by_source_and_reason(client: FlaskClient) -> None:
    before = scrape(client)
    assert (
        "cxloop_responses_accepted_total",
        frozenset({("source", "api"), ("outcome", "created")}),
    ) in before

    def post(body: object, **kw: object) -> int:
        return client.post("/v1/responses", json=body, headers=auth(), **kw).status_code

    assert post(generic()) == 202
    assert post(generic()) == 202  # the same response again
    batch = {"responses": [generic(response_id="r-2"), generic(response_id="r-3")]}
    assert client.post("/v1/responses:batch", json=batch, headers=auth()).status_code == 202
    assert post(generic(scores={"nps": 11})) == 422
    assert (
        client.post(
            "/v1/responses", data="{", headers={**auth(), "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/v1/responses", data="x", headers={**auth(), "Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    assert client.post("/v1/responses", json=generic()).status_code == 401
    assert client.get("/metrics").status_code == 401  # not an ingest request: not counted
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    accepted, rejected = "cxloop_responses_accepted_total", "cxloop_responses_rejected_total"
    assert moved(accepted, source="api", outcome="created") == 3
    assert moved(accepted, source="api", outcome="duplicate") == 1
    assert moved(rejected, source="api", reason="invalid") == 1
    assert moved(rejected, source="api", reason="malformed") == 1
    assert moved(rejected, source="api", reason="unsupported_media_type") == 1
    assert moved(rejected, source="api", reason="unauthorized") == 1
    assert (
        sum(v for (n, _), v in after.items() if n == rejected)
        - sum(v for (n, _), v in before.items() if n == rejected)
        == 4
    )
    assert not any(("source", "web") in labels for _, labels in after)  # the body's free text
    # messages: one per request, the batch's two responses named in one
    assert value(after, "cxloop_queue_depth", queue="router") == 2
    assert value(after, "cxloop_broker_up") == 1
