"""`cxloop serve` really runs gunicorn: a response posted over HTTP lands in the router queue."""

from __future__ import annotations

import base64
import json
import socket

import pytest
import redis
import requests

from shared.settings import Settings
from tests.ingest.payloads import auth, generic
from tests.support.processes import Process
from tests.support.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base: str) -> bool:
    """Ask /healthz once; refused, reset or too slow (a loaded machine) all mean not yet."""
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until_healthy(base: str, server: Process, timeout: float = 60.0) -> None:
    try:
        wait_until(lambda: healthy(base), timeout=timeout, what="/healthz", every=0.2)
    except AssertionError as exc:
        raise AssertionError(
            f"ingest never became healthy: {exc}\n{server.output()[-4000:]}"
        ) from None


def test_a_server_too_busy_to_answer_counts_as_not_ready_yet() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # connections queue in the backlog; nothing ever answers them
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        assert healthy(base) is False  # a read timeout, not an error that ends the wait
    assert healthy(base) is False  # and now refused


SERVE_KEY = "serve-key-9d3f1b7c5e2a8d4f6b0c1e9a7d3b5f2c"  # passes the start-up secret check


@pytest.mark.slow
def test_a_response_posted_to_the_real_server_is_queued_for_the_router(
    tmp_path, sqlite_url, redis_url
):
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=sqlite_url,
        redis_url=redis_url,
        api_keys=(SERVE_KEY, f"cases-read:{SERVE_KEY}"),
        secret_key="serve-session-key-2b7e4c9d1f6a3e8b5c0d9a2f4e7b1c6d",
        bind=f"127.0.0.1:{port}",
        web_workers=1,
        web_threads=2,
    )
    server = Process(["serve"], settings, tmp_path / "serve.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        resp = requests.post(
            f"{base}/v1/responses",
            json=generic(),
            headers={**auth(SERVE_KEY), "X-Request-ID": "req-77"},
            timeout=10,
        )
        assert resp.status_code == 202, resp.text
        response_id = resp.json()["id"]
        listed = requests.get(
            f"{base}/v1/cases?owner=ann-private", headers=auth(SERVE_KEY), timeout=10
        )
        assert listed.status_code == 200
    finally:
        server.stop()

    queue = redis.Redis.from_url(redis_url)
    assert queue.llen("router") == 1
    message = json.loads(queue.lindex("router", 0))
    assert message["headers"]["task"] == "router.process_response"
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == ([response_id], {})

    output = server.output()
    accepted = [json.loads(line) for line in output.splitlines() if '"response accepted"' in line]
    assert accepted and accepted[0]["response_id"] == response_id
    assert accepted[0]["request_id"] == "req-77"
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # all JSON
    access = [line for line in lines if line["name"] == "gunicorn.access"]
    post = next(line for line in access if line["method"] == "POST")
    assert post["path"] == "/v1/responses" and post["status"] == 202
    assert post["request_id"] == "req-77" and post["process"] == "ingest"
    assert post["bytes"] > 0 and post["duration_ms"] >= 0
    listing = next(line for line in access if line["path"] == "/v1/cases")
    assert listing["status"] == 200  # logged without its query string:
    assert "ann-private" not in output and SERVE_KEY not in output
    assert any(line["name"] == "gunicorn.error" for line in lines)  # gunicorn's own lines too
