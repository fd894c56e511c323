"""API keys: every /v1 route needs one; several are accepted; the API is never silently open."""

from __future__ import annotations

import logging
import stat

import pytest

from cxloop.web import create_app
from services.ingest.auth import (
    ApiKey,
    BadApiKeys,
    MissingApiKeys,
    Scope,
    ensure_api_key,
    key_file,
    parse_api_keys,
)
from shared.settings import Settings
from tests.ingest.payloads import auth, generic


@pytest.mark.parametrize(
    "headers",
    [{}, auth("wrong"), {"Authorization": "Basic dGVzdC1rZXk="}, {"X-API-Key": "test-ke"},
     {"Authorization": "Bearer tést-kéy"}],
    ids=["none", "wrong", "basic scheme", "prefix of a key", "non-ascii"],
)  # fmt: skip
def test_a_request_without_a_valid_key_is_401(client, headers):
    for resp in (
        client.post("/v1/responses", json=generic(), headers=headers),
        client.get("/v1/cases", headers=headers),
        client.get("/v1/cases/1", headers=headers),
    ):
        assert resp.status_code == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert resp.get_json()["status"] == "Unauthorized"


def test_every_configured_key_is_accepted_in_either_header(make_app, settings):
    keys = ("cases-read:old-key", "cases-read:new-key")
    client = make_app(settings.with_(api_keys=keys)).test_client()
    assert client.get("/v1/cases", headers=auth("old-key")).status_code == 200
    assert client.get("/v1/cases", headers={"X-API-Key": "new-key"}).status_code == 200
    assert client.get("/v1/cases", headers=auth("test-key")).status_code == 401


def test_probes_need_no_key(client):
    assert client.get("/healthz").status_code == 200


def test_an_app_without_keys_refuses_to_be_built(tmp_path):
    with pytest.raises(MissingApiKeys):
        create_app(Settings(data_dir=tmp_path))


def test_the_embedded_default_generates_a_private_key_once(tmp_path, caplog):
    embedded = Settings(data_dir=tmp_path / "data")
    with caplog.at_level(logging.INFO):
        first = ensure_api_key(embedded)
    (item,) = parse_api_keys(first.api_keys)
    key = str(item.key)
    assert len(key) >= 40 and item.scopes == set(Scope)  # one person's machine: every scope
    path = key_file(embedded)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in str([r.__dict__ for r in caplog.records])
    assert key not in caplog.text and key not in repr(first)
    assert ensure_api_key(embedded).api_keys == first.api_keys


def test_configured_keys_win_over_the_key_file(tmp_path):
    embedded = Settings(data_dir=tmp_path)
    ensure_api_key(embedded)
    assert ensure_api_key(embedded.with_(api_keys=("mine",))).api_keys == ("mine",)


def test_a_production_database_without_keys_refuses_to_start(tmp_path):
    production = Settings(data_dir=tmp_path, database_url="postgresql://db/cx")
    with pytest.raises(MissingApiKeys, match="CXLOOP_API_KEYS"):
        ensure_api_key(production)
    assert not key_file(production).exists()


def test_a_bare_key_only_writes_and_a_scoped_key_only_does_its_scope(make_app, settings):
    keys = ("survey-tool-key", "cases-read:crm-key")
    client = make_app(settings.with_(api_keys=keys)).test_client()
    assert (
        client.post("/v1/responses", json=generic(), headers=auth("survey-tool-key")).status_code
        == 202
    )
    for path in ("/v1/cases", "/v1/cases/1"):
        refused = client.get(path, headers=auth("survey-tool-key"))
        assert refused.status_code == 403
        assert "cases-read" in refused.get_json()["message"]
    assert client.get("/v1/cases", headers=auth("crm-key")).status_code == 200
    written = client.post("/v1/responses", json=generic(response_id="r-2"), headers=auth("crm-key"))
    assert written.status_code == 403 and "ingest-write" in written.get_json()["message"]


def test_a_key_listed_under_both_scopes_may_do_both(make_app, settings):
    keys = ("ingest-write:both-key", "cases-read:both-key")
    client = make_app(settings.with_(api_keys=keys)).test_client()
    assert client.post("/v1/responses", json=generic(), headers=auth("both-key")).status_code == 202
    assert client.get("/v1/cases", headers=auth("both-key")).status_code == 200


def test_api_key_entries_are_validated_on_load(tmp_path):
    assert parse_api_keys(("k1", "cases-read:k2")) == (
        ApiKey(key="k1", scopes=frozenset({Scope.INGEST_WRITE})),
        ApiKey(key="k2", scopes=frozenset({Scope.CASES_READ})),
    )
    with pytest.raises(BadApiKeys, match="unknown scope 'cases-write'"):
        create_app(Settings(data_dir=tmp_path, api_keys=("cases-write:k",)))
    with pytest.raises(BadApiKeys, match="empty key"):
        parse_api_keys(("cases-read:",))
