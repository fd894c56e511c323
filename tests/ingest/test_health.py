"""Probes, request ids and the last-resort error handler."""

from __future__ import annotations

import logging

from shared.settings import Settings


def test_healthz_answers_without_touching_dependencies(make_app, settings: Settings):
    client = make_app(settings.with_(redis_url="redis://127.0.0.1:1/0")).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_is_200_when_database_and_broker_answer(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_is_503_naming_an_unreachable_broker(make_app, settings: Settings):
    client = make_app(settings.with_(redis_url="redis://127.0.0.1:1/0")).test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert list(body["errors"]) == ["broker"]
    assert body["message"] == "not ready: broker unreachable (ConnectionError)"


def test_readyz_is_503_naming_an_unreachable_database(make_app, redis_url, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql://postgres@127.0.0.1:1/none",
        redis_url=redis_url,
        api_keys=("k",),
        secret_key="s",
    )
    resp = make_app(settings).test_client().get("/readyz")
    assert resp.status_code == 503
    assert list(resp.get_json()["errors"]) == ["database"]


def test_a_caller_request_id_is_echoed_and_a_bad_one_replaced(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


def test_an_unexpected_exception_is_a_logged_500_in_the_common_shape(app, caplog):
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR):
        resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    body = resp.get_json()
    assert body == {
        "code": 500,
        "status": "Internal Server Error",
        "message": "internal error; it has been logged",
        "errors": {},
    }
    assert "secret internals" not in resp.get_data(as_text=True)
    assert caplog.records[-1].exc_info is not None


def test_unknown_paths_and_methods_use_the_common_shape(client):
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.get_json()["status"] == "Not Found"
    wrong = client.get("/v1/responses:batch")  # GET /v1/responses lists responses
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]
    assert set(wrong.get_json()) == {"code", "status", "message", "errors"}
