"""Unsigned or badly signed requests get 401 with a clear reason and are stored nowhere."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.models import Response
from tests.sources import vendors
from tests.sources.vendors import OLD_SECRETS, signed

SIGNED_SOURCES = [
    "typeform",
    "delighted",
    "surveymonkey",
    "qualtrics",
    "formbricks",
    "tally",
    "google-forms",
    "standard",
    "generic",
]
SIGNATURE_HEADERS = {
    "typeform": "Typeform-Signature",
    "delighted": "X-Delighted-Webhook-Signature",
    "surveymonkey": "Sm-Signature",
    "formbricks": "webhook-signature",
    "tally": "Tally-Signature",
    "google-forms": "webhook-signature",
    "standard": "webhook-signature",
    "generic": "X-Cxloop-Signature",
}


def _assert_refused(reply: object, rows: Callable[[], list[Response]], reason: str) -> None:
    assert reply.status_code == 401, reply.get_json()  # type: ignore[attr-defined]
    body = reply.get_json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "status", "message", "errors"}
    assert reason in body["message"]
    assert rows() == []


@pytest.mark.parametrize("source", SIGNED_SOURCES)
def test_a_request_signed_with_a_wrong_secret_is_refused(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    other_key = "whsec_d3Jvbmcta2V5LWJ5dGVzLXdyb25nLWtleS0wMQ=="
    secret = other_key if vendors.SECRETS[source].startswith("whsec_") else "wrong"
    request = signed(source, vendors.example(source), secret=secret)
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)
    _assert_refused(reply, rows, "webhook signature rejected")


@pytest.mark.parametrize("source", SIGNED_SOURCES)
def test_the_previous_secret_still_works_during_rotation(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    request = signed(source, vendors.example(source), secret=OLD_SECRETS[source])
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)
    assert reply.status_code == 200, reply.get_json()
    assert len(rows()) == 1


@pytest.mark.parametrize("source", sorted(SIGNATURE_HEADERS))
def test_a_missing_signature_header_is_refused(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    request = signed(source, vendors.example(source))
    headers = {k: v for k, v in request.headers.items() if k != SIGNATURE_HEADERS[source]}
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=headers)
    _assert_refused(reply, rows, f"missing {SIGNATURE_HEADERS[source]} header")


def test_a_qualtrics_post_without_its_hmac_field_is_refused(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    body = b"Topic=brand.surveyengine.completedResponse.SV_1&MSG=%7B%7D"
    reply = client.post(
        "/v1/webhooks/qualtrics", data=body, content_type="application/x-www-form-urlencoded"
    )
    _assert_refused(reply, rows, "missing HMAC or MSG field")


@pytest.mark.parametrize("source", ["typeform", "delighted", "tally", "standard"])
def test_a_body_changed_after_signing_is_refused(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    request = signed(source, vendors.example(source))
    tampered = request.body.replace(b"2", b"9", 1) if b"2" in request.body else request.body + b" "
    reply = client.post(f"/v1/webhooks/{source}", data=tampered, headers=request.headers)
    _assert_refused(reply, rows, "webhook signature rejected")


@pytest.mark.parametrize("source", ["formbricks", "google-forms", "standard"])
def test_a_stale_standard_webhooks_timestamp_is_refused(
    client: FlaskClient, rows: Callable[[], list[Response]], source: str
) -> None:
    body = json.dumps(vendors.example(source)).encode()
    headers = vendors.standard(body, vendors.SECRETS[source], at=vendors.now_ts() - 301)
    reply = client.post(f"/v1/webhooks/{source}", data=body, headers=headers)
    _assert_refused(reply, rows, "timestamp is more than 300 s")


def test_a_stale_generic_timestamp_is_refused(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    body = json.dumps(vendors.generic_payload("generic")).encode()
    headers = vendors.generic(body, vendors.SECRETS["generic"], at=vendors.now_ts() - 3600)
    reply = client.post("/v1/webhooks/generic", data=body, headers=headers)
    _assert_refused(reply, rows, "timestamp")


def test_one_valid_signature_among_several_is_enough(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    body = json.dumps(vendors.generic_payload("standard")).encode()
    headers = vendors.standard(body, vendors.SECRETS["standard"])
    headers["webhook-signature"] = "v1,bm90LXRoaXMtb25l " + headers["webhook-signature"]
    reply = client.post("/v1/webhooks/standard", data=body, headers=headers)
    assert reply.status_code == 200
    assert len(rows()) == 1


def test_a_source_without_a_configured_secret_refuses_everything(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    request = signed("tally", vendors.tally_payload())
    reply = client.post("/v1/webhooks/unconfigured", data=request.body, headers=request.headers)
    _assert_refused(reply, rows, "has no signing secret configured")


JSONS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("source", [*SIGNED_SOURCES, "unconfigured", "nope"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=300) | JSONS.map(lambda v: json.dumps(v).encode()),
    signature=st.text(max_size=60),
)
def test_arbitrary_unsigned_input_never_errors_and_never_stores(
    client: FlaskClient,
    rows: Callable[[], list[Response]],
    source: str,
    body: bytes,
    signature: str,
) -> None:
    forged = {name: signature for name in SIGNATURE_HEADERS.values()}
    forged |= {"webhook-id": "x", "webhook-timestamp": str(vendors.now_ts())}
    headers = {k: v for k, v in forged.items() if v.isprintable() and v.isascii()}
    reply = client.post(f"/v1/webhooks/{source}", data=body, headers=headers)
    assert reply.status_code in (401, 404)
    assert rows() == []


@pytest.mark.parametrize("source", SIGNED_SOURCES)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=JSONS)
def test_arbitrary_signed_json_is_answered_without_a_server_error(
    client: FlaskClient, source: str, payload: object
) -> None:
    if source == "qualtrics":
        request = vendors.Request(
            vendors.qualtrics_body(payload, vendors.SECRETS["qualtrics"]),  # type: ignore[arg-type]
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        request = signed(source, payload)
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)
    assert reply.status_code in (200, 400, 422), reply.get_json()


@pytest.mark.parametrize(
    ("source", "header", "reason"),
    [
        ("typeform", "Typeform-Signature", "must be 'sha256=<base64>'"),
        ("delighted", "X-Delighted-Webhook-Signature", "must be 'sha256=<hex>'"),
    ],
)
def test_a_signature_without_the_vendors_scheme_prefix_is_refused(
    client: FlaskClient,
    rows: Callable[[], list[Response]],
    source: str,
    header: str,
    reason: str,
) -> None:
    request = signed(source, vendors.example(source))
    headers = {**request.headers, header: request.headers[header].removeprefix("sha256=")}
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=headers)
    _assert_refused(reply, rows, reason)


def test_the_generic_source_accepts_its_hex_signature_with_or_without_the_prefix(
    client: FlaskClient, rows: Callable[[], list[Response]]
) -> None:
    body = json.dumps(vendors.generic_payload("generic")).encode()
    headers = vendors.generic(body, vendors.SECRETS["generic"])
    bare = {**headers, "X-Cxloop-Signature": headers["X-Cxloop-Signature"].removeprefix("sha256=")}
    assert client.post("/v1/webhooks/generic", data=body, headers=headers).status_code == 200
    assert client.post("/v1/webhooks/generic", data=body, headers=bare).status_code == 200
    assert len(rows()) == 1
