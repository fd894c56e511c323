"""The OpenAPI document describes every route; schemathesis holds the real app to it.

The app is the ingest app with the desk, on its own SQLite database and the test Redis, with a
desk admin (API token and logged-in session), the ingest key with both scopes, seeded cases and
one source per signing scheme whose requests the test signs, so generated input reaches the
views' validation, the queries and the webhook parsers, not only the authentication checks.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks
from sqlalchemy.orm import Session

from cxloop.web import create_app
from services.desk.users import issue_token
from shared.db import make_engine, make_session_factory, migrate, transaction
from shared.models import Delivery
from shared.openapi import FORM, api_rules, methods, spec_path, undocumented
from shared.settings import Settings
from shared.settings.files import EXAMPLE_DESK
from shared.settings.secret import Secret
from tests.conftest import EXAMPLES
from tests.desk.factories import PASSWORD, add_assignment, make_case, make_user
from tests.sources import vendors
from tests.support.services import postgres_server

# Examples per operation (~40 operations, two databases): about a minute per database.
EXAMPLES_PER_OPERATION = int(os.environ.get("CXLOOP_TEST_FUZZ_EXAMPLES", "15"))
AGENT = "cxloop-schemathesis"  # the session is bound to the user agent (strong protection)
API_KEY = "fuzz-ingest-key-0123456789abcdef0123456789"
SOURCES_YAML = """
sources:
  - {name: generic, type: generic, secrets_env: [FZ_GENERIC],
     options: {timestamp_header: X-Cxloop-Timestamp}}
  - {name: standard, type: standard_webhooks, secrets_env: [FZ_STANDARD]}
  - {name: typeform, type: typeform, secrets_env: [FZ_TYPEFORM]}
  - {name: tally, type: tally, secrets_env: [FZ_TALLY]}
  - {name: qualtrics, type: qualtrics, secrets_env: [FZ_QUALTRICS], api_token_env: FZ_QX_TOKEN,
     api_base_url: "http://127.0.0.1:9"}
"""
SIGNERS = {
    "generic": vendors.generic,
    "standard": vendors.standard,
    "typeform": vendors.typeform,
    "tally": vendors.tally,
}
SECRETS = {
    "generic": "generic-secret",
    "standard": vendors.SECRETS["standard"],
    "typeform": "typeform-secret",
    "tally": "tally-secret",
    "qualtrics": "qx-secret",
}
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _settings(data_dir: Path, db_url: str, redis_url: str, sources: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=db_url,
        redis_url=redis_url,
        routes_file=EXAMPLES / "retailer" / "routes.yml",
        desk_file=EXAMPLE_DESK,
        sources_file=sources,
        api_keys=(f"ingest-write:{API_KEY}", f"cases-read:{API_KEY}"),
        secret_key=Secret("fuzz-secret-key-0123456789abcdef0123456789"),
        slack_signing_secret=Secret("fuzz-slack-signing-secret-0123456789"),
        log_format="text",
    )


@pytest.fixture(scope="module")
def fuzz_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database of the run's own, once SQLite and once PostgreSQL."""
    folder = tmp_path_factory.mktemp("fuzz-db")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'cxloop.db'}"
        migrate(url)
        yield url
        return
    with postgres_server(folder) as url:
        migrate(url)
        yield url


@pytest.fixture(scope="module")
def fuzz(
    tmp_path_factory: pytest.TempPathFactory, _redis_server: str, fuzz_db: str
) -> Iterator[dict[str, Any]]:
    """The app under test and the credentials each security scheme needs."""
    folder = tmp_path_factory.mktemp("fuzz")
    db_url = fuzz_db
    sources = folder / "sources.yml"
    sources.write_text(SOURCES_YAML)
    with pytest.MonkeyPatch.context() as env:
        for name, secret in SECRETS.items():
            env.setenv(f"FZ_{name.upper()}", secret)
        env.setenv("FZ_QX_TOKEN", "qx-token")
        app = create_app(_settings(folder / "data", db_url, _redis_server, sources))
    app.config["TESTING"] = True
    engine = make_engine(db_url)
    with transaction(make_session_factory(engine)) as session:
        token, ids = _seed(session)
    client = app.test_client()
    agent = {"User-Agent": AGENT}
    login = client.post(
        "/login", headers=agent,
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": _csrf(client)},
    )  # fmt: skip
    assert login.status_code == 303, login.text
    cookie = client.get_cookie("session")
    assert cookie is not None
    yield {"app": app, "token": token, "session": cookie.value, "csrf": _csrf(client, "/queue"),
           "ids": ids}  # fmt: skip
    app.extensions["cxloop"].close()
    app.extensions["desk"].celery.close()
    app.extensions["desk"].throttle.redis.close()
    engine.dispose()
    redis.Redis.from_url(_redis_server).flushdb()


def _csrf(client: Any, path: str = "/login") -> str:
    """The CSRF token of the client's session, as a page's form carries it."""
    page = client.get(path, headers={"User-Agent": AGENT}).text
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def _seed(session: Session) -> tuple[str, dict[str, list[int]]]:
    """An admin with a token, cases with deliveries (one failed); return the token and ids."""
    admin = make_user(session, "admin@example.com", "admin")
    make_user(session, "champ@example.com", "champion")
    cases = []
    for index in range(3):
        case = make_case(session, comment=f"parcel {index} arrived broken")
        add_assignment(session, case)
        cases.append(case.id)
    store = make_case(session, touchpoint="store", owner="stores-team", priority="p1")
    failed = Delivery(case_id=store.id, kind="alert", step=0, receiver="stores-team",
                      channel="email", target="x@example.com", status="failed")  # fmt: skip
    session.add(failed)
    session.flush()
    ids = {"case_id": [*cases, store.id], "delivery_id": [failed.id]}
    return issue_token(session, user=admin, name="fuzz"), ids


@pytest.fixture(scope="module")
def api_schema(fuzz: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", fuzz["app"])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test here runs on SQLite and on PostgreSQL (ids, NUL and text differ there)."""
    if "fuzz" in metafunc.fixturenames:
        databases = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
        metafunc.parametrize("fuzz_db", databases, indirect=True, scope="module")


def test_every_route_is_in_the_document(fuzz: dict[str, Any]) -> None:
    app: Flask = fuzz["app"]
    assert undocumented(app) == []
    spec = app.test_client().get("/openapi.json").json
    missing = [
        f"{method} {rule.rule}"
        for rule in api_rules(app)
        for method in methods(rule)
        if method.lower() not in spec["paths"].get(spec_path(rule), {})
    ]
    assert missing == []
    # Files are the only routes left out, and the document says so.
    left_out = {r.rule for r in app.url_map.iter_rules()} - {r.rule for r in api_rules(app)}
    assert left_out == {"/static/<path:filename>", "/desk-static/<path:filename>"}
    assert "Static files" in spec["info"]["description"]


def test_document_is_built_from_the_schemas_the_views_load(fuzz: dict[str, Any]) -> None:
    spec = fuzz["app"].test_client().get("/openapi.json").json
    schemas, paths = spec["components"]["schemas"], spec["paths"]
    post = paths["/v1/responses"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Response"}
    assert schemas["Response"]["additionalProperties"] is False  # unknown fields are refused
    assert set(schemas["Response"]["required"]) == {"source", "response_id", "submitted_at"}
    assert post["security"] == [{"ingestKey": []}, {"ingestKeyHeader": []}]
    listing = {p["name"] for p in paths["/v1/responses"]["get"]["parameters"]}
    assert {"source", "submitted_from", "has_case", "cursor"} <= listing
    hook = paths["/v1/webhooks/{source_name}"]["post"]
    names = hook["parameters"][0]["schema"]["enum"]
    assert names == ["generic", "standard", "typeform", "tally", "qualtrics"]
    assert {"typeformSignature": []} in hook["security"]
    assert "application/x-www-form-urlencoded" in hook["requestBody"]["content"]
    assert "Typeform-Signature" in hook["description"]
    assert spec["components"]["securitySchemes"]["session"]["in"] == "cookie"
    login = paths["/login"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert login["schema"]["required"] == ["email", "password"]
    assert paths["/v1/cases/{case_id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/IngestCaseDetail"}


def _send(case: Any, fuzz: dict[str, Any]) -> Any:
    """Send a generated case through a Flask test client with the credentials it needs.

    The test client (not schemathesis' own WSGI transport) keeps the peer address and the
    session cookie that the desk's strong session protection checks. A webhook body is signed
    over the exact bytes sent.
    """
    schemes = {name for item in case.operation.definition.raw.get("security", []) for name in item}
    headers = {"User-Agent": AGENT}
    if "ingestKey" in schemes:
        headers["Authorization"] = f"Bearer {API_KEY}"
    elif "deskToken" in schemes:
        headers["Authorization"] = f"Bearer {fuzz['token']}"
    if case.media_type == FORM and isinstance(case.body, dict):
        case.body = {**case.body, "csrf_token": fuzz["csrf"]}  # forms pass CSRF, reach the view
    request = case.as_transport_kwargs(headers=headers)
    source = (case.path_parameters or {}).get("source_name")
    if case.method == "POST" and source in SIGNERS and case.media_type == "application/json":
        body = None if isinstance(case.body, NotSet) else case.body
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        request.pop("json", None)
        request["data"] = raw
        if source != "standard" or raw.isascii():  # its signer signs text; others stay unsigned
            request["headers"].update(SIGNERS[source](raw, SECRETS[source]))
    client = fuzz["app"].test_client()
    client.set_cookie("session", fuzz["session"])
    return client.open(**request)


def _fuzz_operation(operation: Any, fuzz: dict[str, Any], statuses: Counter[int]) -> list[str]:
    """Send valid and invalid generated requests to one operation; return what failed.

    Failures are collected, not raised: the app keeps state (a case closed by one request is a
    409 for the next), so Hypothesis could not replay a failing request to the same answer.
    """
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {p.name for p in operation.path_parameters} & set(fuzz["ids"])
    if names:  # also aim at rows that exist, to get past the 404
        existing = st.fixed_dictionaries({n: st.sampled_from(fuzz["ids"][n]) for n in names})
        strategies.append(existing.flatmap(lambda given: operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters=given)))  # fmt: skip
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # the same requests in every run: CI is deterministic
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        response = _send(case, fuzz)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as exc:
            failures.append(f"{operation.label}: {exc}")

    run()
    return failures


@pytest.mark.slow
@pytest.mark.timeout(60 * EXAMPLES_PER_OPERATION)  # minutes on a busy two-core machine
def test_no_server_error_and_answers_match_the_document(
    api_schema: Any, fuzz: dict[str, Any]
) -> None:
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        if operation.path != "/logout":  # logging out would end the session the run uses
            failures += _fuzz_operation(operation, fuzz, statuses)[:3]
    print(f"{sum(statuses.values())} requests, by status: {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    assert sum(statuses.values()) > 10 * len(operations)
    assert not [code for code in statuses if code >= 500]
