"""Helpers for tests that post signed vendor events and wait for what follows them."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.sources.vendors import signed


def post_signed(client: FlaskClient, source: str, payload: Any) -> dict[str, Any]:
    """Post a payload signed the way the source's vendor signs; it must be accepted."""
    request = signed(source, payload)
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()  # type: ignore[no-any-return]
