"""Ingest inputs that once reached the database or the stack's end: a 4xx that stores nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Response
from shared.settings import Settings
from tests.ingest.payloads import auth, generic

ERROR_KEYS = {"code", "status", "message", "errors"}


def cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def assert_error_shape(response: Any, *codes: int) -> None:
    assert response.status_code in codes, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["code"] == response.status_code


def deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": [value]}
    return value


def test_deeply_nested_bodies_are_400_and_store_nothing(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    as_json = {**auth(), "Content-Type": "application/json"}
    bodies = [
        json.dumps(generic(attributes={"x": deep(400)})),  # parses, then walked and stored
        json.dumps(generic(extra=deep(40))),
        json.dumps({"responses": [generic(respondent=deep(450))]}),
        "[" * 100_000 + "]" * 100_000,
    ]
    for path in ("/v1/responses", "/v1/responses:batch"):
        for body in bodies:
            assert_error_shape(client.post(path, data=body, headers=as_json), 400, 422)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_case_ids_and_cursors_out_of_range_are_4xx(client: FlaskClient) -> None:
    for case_id in (2**31, 2**63, 10**30):
        assert_error_shape(client.get(f"/v1/cases/{case_id}", headers=auth()), 404)
    for value in (
        ["2026-03-01T00:00:00+00:00", 2**40],
        ["2026-03-01T00:00:00+00:00", -1],
        ["0001-01-01T00:00:00+05:00", 3],
        ["9999-12-31T23:00:00-05:00", 3],
        ["2026-03-01T00:00:00", 3],
    ):
        listed = client.get("/v1/cases", query_string={"cursor": cursor(value)}, headers=auth())
        assert_error_shape(listed, 400, 422)


def test_a_deeply_nested_webhook_body_is_400_and_stores_nothing(
    make_app: Callable[[Settings], Flask],
    settings: Settings,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    monkeypatch.setenv("T_DEEP_GENERIC", "deep-secret")
    sources = tmp_path / "sources.yml"
    sources.write_text(
        "sources:\n  - {name: generic, type: generic, secrets_env: [T_DEEP_GENERIC]}\n"
    )
    client = make_app(settings.with_(redis_url=redis_url, sources_file=sources)).test_client()
    body = json.dumps(generic(source="generic", attributes={"x": deep(400)})).encode()
    signature = hmac.new(b"deep-secret", body, hashlib.sha256).hexdigest()
    answered = client.post(
        "/v1/webhooks/generic",
        data=body,
        headers={"Content-Type": "application/json", "X-Cxloop-Signature": signature},
    )
    assert_error_shape(answered, 400)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0
