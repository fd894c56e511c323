"""Helpers for tests that post signed vendor events and wait for what follows them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.sources.vendors import signed


def post_signed(client: FlaskClient, source: str, payload: Any) -> dict[str, Any]:
    """Post a payload signed the way the source's vendor signs; it must be accepted."""
    request = signed(source, payload)
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()  # type: ignore[no-any-return]


def wait_until(check: Callable[[], object], timeout: float = 60.0) -> None:
    """Poll until `check` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)
