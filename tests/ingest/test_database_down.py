"""With the database down, ingest answers 503 with Retry-After (senders retry) and says why."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from flask import Flask

from shared.db import migrate
from shared.settings import Settings
from tests.ingest.payloads import auth, generic

SECRET = "generic-webhook-secret"
SOURCES = "sources:\n  - {name: generic, type: generic, secrets_env: [T_DOWN_GENERIC]}\n"
ERROR_KEYS = {"code", "status", "message", "errors"}


@dataclass
class Doomed:
    """A migrated database of its own, and how to make it unreachable."""

    url: str
    make_unreachable: Callable[[Flask], None]
    reason: str
    # A pooled connection used a moment ago is not pinged again: the first request after the
    # outage may meet it dead and say so, before the pool reconnects and learns the cause.
    first_reasons: tuple[str, ...] = ()


def _sqlite(tmp_path: Path) -> Iterator[Doomed]:
    folder = tmp_path / "db"
    url = f"sqlite:///{folder / 'cxloop.db'}"
    migrate(url)

    def break_it(app: Flask) -> None:
        # An open SQLite connection would keep working on the moved file: close the pool, then
        # leave a plain file where the database's folder was.
        app.extensions["cxloop"].engine.dispose()
        folder.rename(tmp_path / "db-gone")
        folder.write_text("not a folder")

    yield Doomed(url, break_it, "cannot open the database file")


def _postgres() -> Iterator[Doomed]:
    admin = os.environ.get(
        "CXLOOP_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"cxloop_down_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin.rsplit('/', 1)[0]}/{name}"
    migrate(url)

    def drop(_app: Flask) -> None:
        # Pooled connections are killed too: the next use fails, then reconnecting fails.
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        yield Doomed(
            url,
            drop,
            "the database or its role does not exist",
            ("the server ended the connection",),
        )
    finally:
        drop(Flask(__name__))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def doomed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Doomed]:
    yield from (_sqlite(tmp_path) if request.param == "sqlite" else _postgres())


@pytest.fixture
def app(
    make_app: Callable[[Settings], Flask],
    redis_url: str,
    doomed: Doomed,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    monkeypatch.setenv("T_DOWN_GENERIC", SECRET)
    sources = tmp_path / "sources.yml"
    sources.write_text(SOURCES)
    return make_app(
        Settings(
            data_dir=tmp_path / "data",
            database_url=doomed.url,
            redis_url=redis_url,
            sources_file=sources,
            api_keys=("test-key",),
            secret_key="test-secret",
            log_format="text",
        )
    )


def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Cxloop-Signature": digest}


def assert_unavailable(response, *reasons: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["code"] == 503
    assert any(reason in body["message"] for reason in reasons), body["message"]


def test_responses_and_webhooks_answer_503_with_retry_after_while_the_database_is_down(
    app: Flask, doomed: Doomed
) -> None:
    client = app.test_client()
    first = json.dumps(generic(response_id="before")).encode()
    as_json = {**auth(), "Content-Type": "application/json"}
    assert client.post("/v1/responses", data=first, headers=as_json).status_code == 202
    hook = json.dumps(generic(source="generic", response_id="hook-before")).encode()
    assert client.post("/v1/webhooks/generic", data=hook, headers=signed(hook)).status_code == 200
    assert client.get("/readyz").status_code == 200

    doomed.make_unreachable(app)

    body = json.dumps(generic(response_id="during")).encode()
    assert_unavailable(
        client.post("/v1/responses", data=body, headers=as_json),
        doomed.reason,
        *doomed.first_reasons,
    )
    batch = json.dumps({"responses": [generic(response_id="b-1")]}).encode()
    assert_unavailable(
        client.post("/v1/responses:batch", data=batch, headers=as_json), doomed.reason
    )
    hook = json.dumps(generic(source="generic", response_id="hook-during")).encode()
    assert_unavailable(
        client.post("/v1/webhooks/generic", data=hook, headers=signed(hook)), doomed.reason
    )
    desk = client.get("/v1/desk/queue", headers={"Authorization": "Bearer cxd_anything"})
    assert_unavailable(desk, doomed.reason)
    ready = client.get("/readyz")
    assert_unavailable(ready, doomed.reason)
    assert ready.get_json()["errors"] == {"database": [doomed.reason]}
