"""Property: no input reaches the last-resort handler; every error has the one shape."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.ingest.payloads import auth, generic

ERROR_KEYS = {"code", "status", "message", "errors"}

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "\x00", "\ud800", "2025-03-01T10:00:00+00:00", "a@b.co"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes anything JSON can hold."""
    return strategy | json_values


scores = st.fixed_dictionaries(
    {}, optional={k: maybe(st.integers(-2, 12)) for k in ("nps", "csat", "ces")}
)
dates = st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
respondents = st.fixed_dictionaries(
    {}, optional={"id": json_values, "email": maybe(st.emails()), "name": json_values}
)
near_valid = st.fixed_dictionaries(
    {
        "source": maybe(st.just("web") | st.text(max_size=120)),
        "response_id": maybe(st.text(min_size=1, max_size=220)),
    },
    optional={
        "submitted_at": maybe(dates),
        "respondent": maybe(respondents),
        "touchpoint": maybe(st.text(max_size=120)),
        "scores": maybe(scores),
        "comment": maybe(st.text(max_size=50)),
        "attributes": maybe(st.dictionaries(st.text(max_size=120), st.text(max_size=5))),
        "extra": json_values,
    },
)
valid = st.builds(
    lambda rid, comment, nps, attrs: generic(
        response_id=rid, comment=comment, scores={"nps": nps}, attributes=attrs
    ),
    st.text(min_size=1, max_size=40),
    st.text(max_size=200),
    st.integers(0, 10),
    st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=3),
)
one_field_off = st.builds(
    lambda key, value, rid: {**generic(response_id=rid), key: value},
    st.sampled_from(list(generic())),
    near_valid.flatmap(lambda d: st.sampled_from(list(d.values()))) | json_values,
    st.text(min_size=1, max_size=20),
)
bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | valid.map(lambda v: json.dumps(v).encode())
    | one_field_off.map(lambda v: json.dumps(v).encode())
    | near_valid.map(lambda v: json.dumps(v).encode())
    | st.lists(valid | one_field_off | near_valid | json_values, max_size=3).map(
        lambda items: json.dumps({"responses": items}).encode()
    )
    | st.binary(max_size=64)
)
content_types = st.sampled_from(
    ["application/json"] * 4 + ["application/json; charset=utf-8", "text/plain", "", "text/xml"]
)
paths = st.sampled_from(["/v1/responses", "/v1/responses:batch"])
queries = st.dictionaries(
    st.sampled_from(["status", "owner", "touchpoint", "limit", "cursor", "x"]),
    st.text(max_size=20),
    max_size=4,
)


def assert_well_formed(resp: Any) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code != 500, text
    assert "Traceback" not in text
    body = resp.get_json()
    if resp.status_code >= 400:
        assert set(body) == ERROR_KEYS and body["code"] == resp.status_code


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=paths, body=bodies, content_type=content_types)
def test_no_posted_body_causes_a_500(client, path, body, content_type):
    headers = {**auth(), "Content-Type": content_type} if content_type else auth()
    resp = client.post(path, data=body, headers=headers)
    event(f"status {resp.status_code}")
    assert_well_formed(resp)
    assert resp.status_code in (202, 400, 415, 422)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries, case_id=st.integers(min_value=0, max_value=10**30))
def test_no_case_query_causes_a_500(client, query, case_id):
    assert_well_formed(client.get("/v1/cases", query_string=query, headers=auth()))
    assert_well_formed(client.get(f"/v1/cases/{case_id}", headers=auth()))
