"""Fixtures for survey sources: a sources file with every vendor, their secrets, an app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Response
from shared.settings import Settings
from shared.settings.secret import Secret
from tests.sources.standin import VendorStandIn, running
from tests.sources.vendors import OLD_SECRETS, SECRETS, SM_CLIENT_ID

SOURCES_YAML = """
sources:
  - {name: typeform, type: typeform, secrets_env: [T_TYPEFORM, T_TYPEFORM_OLD],
     mapping: {nps: nps_recommend, comment: why_score, attributes: {region: region}}}
  - {name: delighted, type: delighted, secrets_env: [T_DELIGHTED, T_DELIGHTED_OLD]}
  - {name: surveymonkey, type: surveymonkey, secrets_env: [T_SURVEYMONKEY, T_SURVEYMONKEY_OLD],
     client_id_env: T_SM_CLIENT, api_token_env: T_SM_TOKEN, api_base_url: "{sm_base}"}
  - {name: qualtrics, type: qualtrics, secrets_env: [T_QUALTRICS, T_QUALTRICS_OLD],
     api_token_env: T_QX_TOKEN, api_base_url: "{qx_base}",
     mapping: {nps: QID1, comment: QID2_TEXT}}
  - {name: formbricks, type: formbricks, secrets_env: [T_FORMBRICKS, T_FORMBRICKS_OLD],
     mapping: {nps: nps, comment: feedback}}
  - {name: tally, type: tally, secrets_env: [T_TALLY, T_TALLY_OLD]}
  - {name: google-forms, type: google_forms, secrets_env: [T_GOOGLE_FORMS, T_GOOGLE_FORMS_OLD],
     mapping: {nps: "How likely are you to recommend us to a friend?",
               touchpoint: "What was this about?"}}
  - {name: standard, type: standard_webhooks, secrets_env: [T_STANDARD, T_STANDARD_OLD]}
  - {name: generic, type: generic, secrets_env: [T_GENERIC, T_GENERIC_OLD],
     options: {timestamp_header: X-Cxloop-Timestamp}}
  - {name: unconfigured, type: tally, secrets_env: [T_NEVER_SET]}
"""


def env_name(source: str, old: bool = False) -> str:
    return "T_" + source.upper().replace("-", "_") + ("_OLD" if old else "")


@pytest.fixture
def vendor_api() -> str:
    """Base URL of the vendor API stand-in; tests that fetch start a real one."""
    return "http://127.0.0.1:9"


@pytest.fixture
def standin() -> Iterator[VendorStandIn]:
    """A running stand-in of the vendors' APIs; modules that fetch point vendor_api at it."""
    with running() as vendor:
        yield vendor


@pytest.fixture
def sources_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor_api: str) -> Path:
    """A sources file naming every vendor, with their secrets set in the environment."""
    for name, secret in SECRETS.items():
        monkeypatch.setenv(env_name(name), secret)
        monkeypatch.setenv(env_name(name, old=True), OLD_SECRETS[name])
    monkeypatch.setenv("T_SM_CLIENT", SM_CLIENT_ID)
    monkeypatch.setenv("T_SM_TOKEN", "sm-access-token")
    monkeypatch.setenv("T_QX_TOKEN", "qx-api-token")
    monkeypatch.delenv("T_NEVER_SET", raising=False)
    path = tmp_path / "sources.yml"
    yaml_text = SOURCES_YAML.replace("{sm_base}", f"{vendor_api}/v3").replace(
        "{qx_base}", vendor_api
    )
    path.write_text(yaml_text)
    return path


@pytest.fixture
def app(
    make_app: Callable[[Settings], Flask], settings: Settings, redis_url: str, sources_file: Path
) -> Flask:
    """The ingest app on the test database and Redis, with every vendor source configured."""
    return make_app(
        settings.with_(redis_url=redis_url, sources_file=sources_file, secret_key=Secret("t"))
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def rows(sessions: sessionmaker[Session]) -> Callable[[], list[Response]]:
    """Read every stored response, oldest first."""

    def read() -> list[Response]:
        with sessions() as session:
            return list(session.scalars(select(Response).order_by(Response.id)))

    return read
