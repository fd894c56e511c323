"""Webhook requests are counted under their configured source: stored, repeated, refused."""

from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from tests.sources import vendors
from tests.sources.vendors import signed


def count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_webhook_outcomes_and_refusals_are_counted_by_source(client: FlaskClient) -> None:
    accepted, rejected = "cxloop_responses_accepted_total", "cxloop_responses_rejected_total"
    before = {
        "created": count(accepted, source="tally", outcome="created"),
        "duplicate": count(accepted, source="tally", outcome="duplicate"),
        "signature": count(rejected, source="tally", reason="signature"),
        "unknown": count(rejected, source="unknown", reason="not_found"),
    }
    request = signed("tally", vendors.tally_payload())
    for _ in range(2):
        reply = client.post("/v1/webhooks/tally", data=request.body, headers=request.headers)
        assert reply.status_code == 200
    forged = signed("tally", vendors.tally_payload(), secret="not-the-secret")
    reply = client.post("/v1/webhooks/tally", data=forged.body, headers=forged.headers)
    assert reply.status_code == 401
    assert client.post("/v1/webhooks/no-such-tool", data=b"{}").status_code == 404

    assert count(accepted, source="tally", outcome="created") == before["created"] + 1
    assert count(accepted, source="tally", outcome="duplicate") == before["duplicate"] + 1
    assert count(rejected, source="tally", reason="signature") == before["signature"] + 1
    assert count(rejected, source="unknown", reason="not_found") == before["unknown"] + 1
    assert count(rejected, source="no-such-tool", reason="not_found") == 0  # names from config only
