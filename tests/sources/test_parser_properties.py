"""Hypothesis properties of every survey-source parser and signature check.

Three families, each with a fixed, derandomized example budget so CI is deterministic:
- robustness: arbitrary JSON and mutated documented payloads (fields removed, wrong types, huge
  strings, deep nesting, lone surrogates, NULs) only ever raise the adapter's PayloadError, and
  through the endpoint are answered 2xx or 4xx with the usual error shape, never 5xx;
- round trips: payloads generated in each vendor's documented format map to the score,
  comment, respondent and touchpoint they carry, judged by the question's scale;
- signatures: a signed request verifies, and any change of its body or timestamp does not.
"""

from __future__ import annotations

import contextlib
import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from services.ingest.service import load_storable
from services.ingest.sources import qualtrics, surveymonkey
from services.ingest.sources.base import (
    PayloadError,
    PermanentFetchError,
    SignatureError,
    Submission,
)
from services.ingest.sources.config import SourceConfig, parse_sources
from services.ingest.sources.mapping import to_generic
from services.ingest.sources.registry import adapter_for
from tests.sources import vendors
from tests.sources.conftest import SOURCES_YAML, env_name
from tests.sources.vendors import OLD_SECRETS, SECRETS, SM_CLIENT_ID, signed

ERROR_KEYS = {"code", "status", "message", "errors"}
ENVIRON = (
    {env_name(n): s for n, s in SECRETS.items()}
    | {env_name(n, old=True): s for n, s in OLD_SECRETS.items()}
    | {"T_SM_CLIENT": SM_CLIENT_ID, "T_SM_TOKEN": "t", "T_QX_TOKEN": "t"}
)
CONFIGS = parse_sources(
    yaml.safe_load(SOURCES_YAML.replace("{sm_base}", "http://x").replace("{qx_base}", "http://x")),
    path=Path("sources.yml"),
    environ=ENVIRON,
).by_name
SOURCES = sorted(set(CONFIGS) - {"unconfigured"})
# A fixed budget per test; derandomized so a CI run is the same run every time.
# A slow, busy CI machine must not turn generation time into a failure: too_slow is off.
PURE = settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
HTTP = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROUND_TRIP = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# --- strategies ------------------------------------------------------------------------------

storable_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
nasty_strings = st.sampled_from(
    ["", " ", "\x00", "\ud800", "\udfff x", "é ü 中文 🙂", "x" * 70_000, "9" * 400, "-1", "1e999"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.integers(min_value=2**63, max_value=2**80)
    | st.text(max_size=20)
    | nasty_strings
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": [value]}
    return value


replacements = json_values | nasty_strings | st.sampled_from([nested(40), [nested(10)] * 3])


def paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member of a JSON value (keys and list indexes), down to 12 levels."""
    found = [here] if here else []
    if len(here) >= 12:
        return found
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*here, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """A documented payload with one to three members removed or replaced by anything."""
    value = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        targets = paths(value)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(replacements))
    return value


def bodies(source: str) -> st.SearchStrategy[Any]:
    """What a signed body of this source may carry: its example mutated, or any JSON at all."""
    return mutated(vendors.example(source)) | json_values


def raw_body(source: str, payload: Any) -> bytes:
    if source == "qualtrics":
        return vendors.qualtrics_body(payload, SECRETS["qualtrics"])
    return json.dumps(payload).encode()


def parse_all(source: str, body: bytes, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Parse and map a body the way the endpoint does; only documented errors may come out."""
    config = CONFIGS[source]
    adapter = adapter_for(config.type)
    result = adapter.parse(body, headers, config)
    generic = list(result.generic) or [
        to_generic(s, config, ces_scale=adapter.ces_scale) for s in result.submissions
    ]
    loaded = []
    for payload in generic:
        try:
            loaded.append(load_storable(payload))
        except ValidationError:
            continue
    return loaded


# --- robustness ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@PURE
@given(data=st.data())
def test_a_parser_raises_nothing_but_its_payload_error(source: str, data: st.DataObject) -> None:
    payload = data.draw(bodies(source))
    body = raw_body(source, payload) if data.draw(st.booleans()) else json.dumps(payload).encode()
    if data.draw(st.integers(0, 9)) == 0:
        body = data.draw(st.binary(max_size=80))
    headers = {"webhook-id": data.draw(st.sampled_from(["msg_1", "", "\u00e9"]))}
    with contextlib.suppress(PayloadError):
        parse_all(source, body, headers)


@pytest.mark.parametrize("source", SOURCES)
@HTTP
@given(data=st.data())
def test_the_endpoint_answers_mutated_signed_payloads_without_a_server_error(
    client: FlaskClient, source: str, data: st.DataObject
) -> None:
    payload = data.draw(bodies(source))
    request = signed(source, payload)
    reply = client.post(f"/v1/webhooks/{source}", data=request.body, headers=request.headers)
    text = reply.get_data(as_text=True)
    assert reply.status_code < 500, text
    assert "Traceback" not in text
    if reply.status_code >= 400:
        body = reply.get_json()
        assert set(body) == ERROR_KEYS and body["code"] == reply.status_code, body
        # Signed correctly: refused as a payload, never as a forgery (Qualtrics' topic aside).
        assert reply.status_code in (400, 422) or source == "qualtrics", body
    else:
        assert reply.status_code == 200, text


# --- round trips: documented formats ---------------------------------------------------------

words = st.lists(
    st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=8),
    min_size=4,
    max_size=8,
).map(" ".join)
comments = words.filter(lambda t: len(t) >= 20)
ids = st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True)
touchpoints = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True)
emails = st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


def default_source(kind: str) -> SourceConfig:
    """A source with no mapping at all: the automatic defaults decide."""
    return SourceConfig(name="s", type=kind)


def generic_of(submission: Submission, kind: str) -> dict[str, Any]:
    generic = to_generic(submission, default_source(kind), ces_scale=adapter_for(kind).ces_scale)
    load_storable(generic)  # what comes out can be stored
    return generic


def only(source: str, payload: Any, headers: dict[str, str] | None = None) -> Submission:
    config = SourceConfig(name="s", type=source)
    result = adapter_for(source).parse(json.dumps(payload).encode(), headers or {}, config)
    (submission,) = result.submissions
    return submission


@ROUND_TRIP
@given(
    question=st.sampled_from(["nps", "scale_0_10", "scale_1_5", "scale_1_10", "rating"]),
    value=st.integers(0, 10),
    comment=comments,
    customer=ids,
    touchpoint=touchpoints,
    at=moments,
)
def test_typeform_answers_map_by_their_question_and_scale(
    question: str, value: int, comment: str, customer: str, touchpoint: str, at: datetime
) -> None:
    field_type, steps, start_at_one = {
        "nps": ("nps", None, False),
        "scale_0_10": ("opinion_scale", 11, False),
        "scale_1_5": ("opinion_scale", 5, True),
        "scale_1_10": ("opinion_scale", 10, True),
        "rating": ("rating", None, False),
    }[question]
    payload = vendors.typeform_payload(comment=comment)
    form = payload["form_response"]
    form["submitted_at"] = at.isoformat()
    form["hidden"] = {"customer_id": customer, "touchpoint": touchpoint}
    definition = {"id": "Q1", "ref": "q", "type": field_type, "title": "How was it?"}
    if steps is not None:
        definition["properties"] = {"steps": steps, "start_at_one": start_at_one}
    form["definition"]["fields"][0] = definition
    form["answers"][0] = {
        "type": "number",
        "number": value,
        "field": {"id": "Q1", "type": field_type, "ref": "q"},
    }
    generic = generic_of(only("typeform", payload), "typeform")
    expected: dict[str, int] = {}
    if question in ("nps", "scale_0_10"):
        expected = {"nps": value}
    elif question == "rating" and 1 <= value <= 5:
        expected = {"csat": value}
    assert generic["scores"] == expected  # a 4 on a 1-5 or 1-10 scale is never an NPS of 4
    assert generic["comment"] == comment
    assert generic["respondent"] == {"id": customer}
    assert generic["touchpoint"] == touchpoint
    assert generic["submitted_at"] == at.isoformat()


@ROUND_TRIP
@given(
    survey_type=st.sampled_from(["nps", "csat", "ces", "smileys", "5star"]),
    data=st.data(),
    comment=st.none() | comments,
    person=st.fixed_dictionaries({"id": ids, "email": emails, "name": words}),
    touchpoint=touchpoints,
)
def test_delighted_scores_follow_the_survey_type(
    survey_type: str,
    data: st.DataObject,
    comment: str | None,
    person: dict[str, str],
    touchpoint: str,
) -> None:
    low, high = {"nps": (0, 10), "ces": (1, 7)}.get(survey_type, (1, 5))
    score = data.draw(st.integers(low, high))
    payload = vendors.delighted_payload(score=score, comment=comment)
    payload["event_data"].update(survey_type=survey_type, person=person)
    payload["event_data"]["person_properties"] = {"touchpoint": touchpoint}
    generic = generic_of(only("delighted", payload), "delighted")
    name = {"smileys": "csat", "5star": "csat"}.get(survey_type, survey_type)
    # Delighted's CES reads "made it easy" (7 = agree); cxloop's CES is effort (1 = easy).
    assert generic["scores"] == {name: 8 - score if name == "ces" else score}
    assert generic["comment"] == (comment or "")
    assert generic["respondent"] == person
    assert generic["touchpoint"] == touchpoint


@ROUND_TRIP
@given(
    kind=st.sampled_from(["RATING", "LINEAR_SCALE"]),
    value=st.integers(0, 10),
    text=comments,
    customer=ids,
    touchpoint=touchpoints,
)
def test_tally_ratings_are_csat_and_unranged_scales_never_an_nps(
    kind: str, value: int, text: str, customer: str, touchpoint: str
) -> None:
    payload = vendors.tally_payload(text=text)
    fields = payload["data"]["fields"]
    fields[0].update(type=kind, value=value)
    fields[2]["value"], fields[3]["value"] = touchpoint, customer
    generic = generic_of(only("tally", payload), "tally")
    # Tally sends no range for a linear scale, so its value cannot be judged as an NPS.
    rated = kind == "RATING" and 1 <= value <= 5
    assert generic["scores"] == ({"csat": value} if rated else {})
    assert generic["comment"] == text
    assert generic["respondent"] == {"id": customer}
    assert generic["touchpoint"] == touchpoint


@ROUND_TRIP
@given(nps=st.integers(0, 10), text=comments, user=ids, touchpoint=touchpoints)
def test_formbricks_nps_comment_and_contact_come_through(
    nps: int, text: str, user: str, touchpoint: str
) -> None:
    payload = vendors.formbricks_payload(nps=nps)[0]
    payload["data"]["data"]["feedback"] = text
    payload["data"]["contact"] = {"id": "c1", "userId": user}
    payload["data"]["variables"] = {"touchpoint": touchpoint}
    generic = generic_of(only("formbricks", payload, {"webhook-id": "msg_1"}), "formbricks")
    assert generic["scores"] == {"nps": nps}
    assert generic["comment"] == text
    assert generic["respondent"] == {"id": user}
    assert generic["touchpoint"] == touchpoint


@ROUND_TRIP
@given(
    bounds=st.sampled_from([(0, 10), (1, 5), (1, 10), (0, 5)]),
    kind=st.sampled_from(["SCALE", "RATING"]),
    data=st.data(),
    text=comments,
    email=emails,
)
def test_google_forms_scales_are_judged_by_their_bounds(
    bounds: tuple[int, int], kind: str, data: st.DataObject, text: str, email: str
) -> None:
    value = data.draw(st.integers(*bounds))
    payload = vendors.google_forms_payload(scale=str(value))
    response = payload["response"]
    response["respondent_email"] = email
    response["answers"][0].update(type=kind, scale=list(bounds))
    response["answers"][1]["value"] = text
    generic = generic_of(only("google_forms", payload, {"webhook-id": "r1"}), "google_forms")
    if kind == "SCALE":
        expected = {"nps": value} if bounds == (0, 10) else {}
    else:
        expected = {"csat": value} if bounds == (1, 5) else {}
    assert generic["scores"] == expected
    assert generic["comment"] == text
    assert generic["respondent"] == {"email": email}


def sm_survey(star_labels: list[str], nps_ids: list[str]) -> dict[str, Any]:
    """A SurveyMonkey survey: a star rating (labelled choices with weights) and an NPS."""
    return {
        "id": "105724755",
        "pages": [
            {
                "id": "p1",
                "questions": [
                    {
                        "id": "q-stars",
                        "family": "matrix",
                        "subtype": "rating",
                        "display_options": {"display_subtype": "star"},
                        "headings": [{"heading": "Rate us"}],
                        "answers": {
                            "choices": [
                                {"id": f"s{w}", "text": label, "weight": w}
                                for w, label in enumerate(star_labels, start=1)
                            ]
                        },
                    },
                    {
                        "id": "q-nps",
                        "family": "matrix",
                        "subtype": "rating",
                        "headings": [{"heading": "Recommend?"}],
                        "answers": {
                            "choices": [
                                {"id": choice, "text": str(i)} for i, choice in enumerate(nps_ids)
                            ]
                        },
                    },
                    {"id": "q-why", "family": "open_ended", "subtype": "essay"},
                ],
            }
        ],
    }


@ROUND_TRIP
@given(
    labels=st.lists(storable_text, min_size=5, max_size=5),
    stars=st.integers(1, 5),
    nps=st.integers(0, 10) | st.none(),
    nps_ids=st.lists(
        st.from_regex(r"c[0-9]{1,6}", fullmatch=True), min_size=11, max_size=11, unique=True
    ),
    text=comments,
    customer=ids,
    touchpoint=touchpoints,
)
def test_surveymonkey_stars_are_read_from_the_choice_weights(
    labels: list[str],
    stars: int,
    nps: int | None,
    nps_ids: list[str],
    text: str,
    customer: str,
    touchpoint: str,
) -> None:
    answers = [{"id": "q-stars", "answers": [{"row_id": "r1", "choice_id": f"s{stars}"}]}]
    if nps is not None:
        answers.append({"id": "q-nps", "answers": [{"row_id": "r1", "choice_id": nps_ids[nps]}]})
    answers.append({"id": "q-why", "answers": [{"text": text}]})
    details = {
        "id": "5007154402",
        "date_created": "2015-12-28T21:57:14+00:00",
        "custom_variables": {"touchpoint": touchpoint, "customer_id": customer},
        "pages": [{"id": "p1", "questions": answers}],
    }
    submission = surveymonkey._submission(
        details, surveymonkey._questions(sm_survey(labels, nps_ids))
    )
    generic = generic_of(submission, "surveymonkey")
    # The star's label ("Poor", "", "4") never decides: its weight is the rating.
    assert generic["scores"] == {"csat": stars} | ({"nps": nps} if nps is not None else {})
    assert generic["comment"] == text
    assert generic["respondent"] == {"id": customer}
    assert generic["touchpoint"] == touchpoint


@ROUND_TRIP
@given(
    nps=st.integers(0, 10),
    text=comments,
    customer=ids,
    email=emails,
    touchpoint=touchpoints,
    at=moments,
    offset=st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
)
def test_qualtrics_nps_comment_and_recipient_come_through(
    nps: int, text: str, customer: str, email: str, touchpoint: str, at: datetime, offset: Any
) -> None:
    result = {
        "responseId": "R_abc",
        "values": {
            "recordedDate": at.astimezone(offset).isoformat(),
            "QID1": nps,
            "QID1_NPS_GROUP": 1 if nps <= 6 else 2 if nps <= 8 else 3,
            "QID2_TEXT": text,
            "touchpoint": touchpoint,
            "externalDataReference": customer,
            "recipientEmail": email,
        },
    }
    generic = generic_of(qualtrics.read_response({"result": result}, "R_abc"), "qualtrics")
    assert datetime.fromisoformat(generic["submitted_at"]) == at  # the same instant
    assert generic["scores"] == {"nps": nps}
    assert generic["comment"] == text
    assert generic["respondent"] == {"id": customer, "email": email}
    assert generic["touchpoint"] == touchpoint


@ROUND_TRIP
@given(
    source=st.sampled_from(["standard", "generic"]),
    nps=st.integers(0, 10),
    comment=storable_text,
    customer=ids,
    touchpoint=touchpoints,
)
def test_generic_bodies_come_through_unchanged(
    source: str, nps: int, comment: str, customer: str, touchpoint: str
) -> None:
    payload = vendors.generic_payload(source) | {
        "scores": {"nps": nps},
        "comment": comment,
        "respondent": {"id": customer},
        "touchpoint": touchpoint,
    }
    (loaded,) = parse_all(source, json.dumps(payload).encode(), {"webhook-id": "m"})
    assert {k: v for k, v in loaded["scores"].items() if v is not None} == {"nps": nps}
    assert loaded["comment"] == comment
    assert loaded["respondent"]["id"] == customer
    assert loaded["touchpoint"] == touchpoint


# --- signatures ------------------------------------------------------------------------------

HEADER_SIGNED = ["typeform", "delighted", "surveymonkey", "tally", "formbricks", "google-forms"]
HEADER_SIGNED += ["standard", "generic"]


def verify(source: str, body: bytes, headers: dict[str, str], now: datetime | None = None) -> None:
    config = CONFIGS[source]
    adapter_for(config.type).verify(body, headers, config, now or datetime.now(UTC))


def sign(source: str, body: bytes, at: int) -> dict[str, str]:
    if source in ("formbricks", "google-forms", "standard"):
        return vendors.standard(body, SECRETS[source], at=at)
    if source == "generic":
        return vendors.generic(body, SECRETS[source], at=at)
    return {"typeform": vendors.typeform, "delighted": vendors.delighted,
            "surveymonkey": vendors.surveymonkey, "tally": vendors.tally}[source](
        body, SECRETS[source]
    )  # fmt: skip


def changed(body: bytes, data: st.DataObject) -> bytes:
    """Another body: one byte flipped, bytes added or cut, or something else entirely."""
    how = data.draw(st.sampled_from(["flip", "append", "cut", "other"]))
    if how == "flip" and body:
        index = data.draw(st.integers(0, len(body) - 1))
        bit = data.draw(st.integers(0, 7))
        return body[:index] + bytes([body[index] ^ (1 << bit)]) + body[index + 1 :]
    if how == "cut" and body:
        return body[: data.draw(st.integers(0, len(body) - 1))]
    if how == "other":
        return data.draw(st.binary(max_size=80).filter(lambda b: b != body))
    return body + data.draw(st.binary(min_size=1, max_size=8))


@pytest.mark.parametrize("source", HEADER_SIGNED)
@PURE
@given(body=st.binary(max_size=200), data=st.data())
def test_any_change_of_a_signed_body_fails_verification(
    source: str, body: bytes, data: st.DataObject
) -> None:
    if source in ("formbricks", "google-forms", "standard"):
        body = body.decode("latin-1").encode()  # the official signer takes text
    at = vendors.now_ts()
    headers = sign(source, body, at)
    verify(source, body, headers)
    with pytest.raises(SignatureError):
        verify(source, changed(body, data), headers)


@pytest.mark.parametrize("source", ["formbricks", "google-forms", "standard", "generic"])
@PURE
@given(body=st.text(max_size=100).map(str.encode), shift=st.integers(-250, 250).filter(bool))
def test_any_change_of_a_signed_timestamp_fails_verification(
    source: str, body: bytes, shift: int
) -> None:
    at = vendors.now_ts()
    headers = sign(source, body, at)
    stamp = "webhook-timestamp" if source != "generic" else "X-Cxloop-Timestamp"
    verify(source, body, headers)
    with pytest.raises(SignatureError):
        verify(source, body, headers | {stamp: str(at + shift)})  # within tolerance: the HMAC


qualtrics_ids = st.from_regex(r"SV_[A-Za-z0-9]{1,20}", fullmatch=True)
brands = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)


def qualtrics_form(message: dict[str, Any], topic: str, msg: str | None = None) -> bytes:
    """Sign MSG as Qualtrics does and send it under `topic` (MSG may be swapped after signing)."""
    signed_body = vendors.qualtrics_body(message, SECRETS["qualtrics"], topic=topic)
    fields = dict(item.split("=", 1) for item in signed_body.decode().split("&"))
    hmac_field = fields["HMAC"]
    return urlencode(
        {"Topic": topic, "MSG": msg or json.dumps(message), "HMAC": hmac_field}
    ).encode()


@PURE
@given(survey=qualtrics_ids, brand=brands, other=st.text(max_size=60), data=st.data())
def test_the_qualtrics_topic_is_covered_by_the_signature(
    survey: str, brand: str, other: str, data: st.DataObject
) -> None:
    message = vendors.qualtrics_message() | {"SurveyID": survey, "BrandID": brand}
    topic = f"{brand}.surveyengine.completedResponse.{survey}"
    verify("qualtrics", qualtrics_form(message, topic), {})
    forged = data.draw(
        st.sampled_from(
            [
                f"{brand}.surveyengine.completedResponse.{survey}x",
                f"{brand}x.surveyengine.completedResponse.{survey}",
                f"{other}.surveyengine.completedResponse.{other}",
                f"surveyengine.completedResponse.{survey}",
            ]
        )
    )
    if forged != topic:
        with pytest.raises(SignatureError):
            verify("qualtrics", qualtrics_form(message, forged), {})
    tampered = json.dumps(
        message | {"ResponseID": data.draw(st.from_regex(r"R_[a-z]{1,9}", fullmatch=True))}
    )
    if tampered != json.dumps(message):
        with pytest.raises(SignatureError):
            verify("qualtrics", qualtrics_form(message, topic, msg=tampered), {})


# --- fetched documents (thin sources) ----------------------------------------------------------

SM_SURVEY_DOC = sm_survey(["Bad", "Poor", "Okay", "Good", "Great"], [f"c{i}" for i in range(11)])
SM_DETAILS_DOC = {
    "id": "5007154402",
    "date_created": "2015-12-28T21:57:14+00:00",
    "date_modified": "2015-12-28T21:59:38+00:00",
    "custom_variables": {"touchpoint": "delivery", "customer_id": "C-9"},
    "pages": [
        {
            "id": "p1",
            "questions": [
                {"id": "q-stars", "answers": [{"row_id": "r1", "choice_id": "s2"}]},
                {"id": "q-nps", "answers": [{"row_id": "r1", "choice_id": "c2"}]},
                {"id": "q-why", "answers": [{"text": "The parcel arrived a week late."}]},
            ],
        }
    ],
}
QX_DOCUMENT = {
    "result": {
        "responseId": "R_suq806jn8LGzhx7",
        "values": {
            "recordedDate": "2020-10-22T12:31:40Z",
            "QID1": 3,
            "QID1_NPS_GROUP": 1,
            "QID2_TEXT": "The agent hung up on me.",
            "QID3": 2,
            "touchpoint": "support",
            "externalDataReference": "C-5",
            "recipientEmail": "kim@example.com",
            "recipientFirstName": "Kim",
        },
        "labels": {"QID1": "3", "QID3": "Yes"},
    }
}


def settle(source: str, submission: Submission) -> None:
    """Map a fetched submission as the fetch does: only a ValidationError may come out."""
    with contextlib.suppress(ValidationError):
        load_storable(to_generic(submission, default_source(source)))


@PURE
@given(
    details=mutated(SM_DETAILS_DOC) | json_values,
    definition=mutated(SM_SURVEY_DOC) | json_values,
)
def test_surveymonkey_documents_fail_only_as_permanent_fetch_errors(
    details: Any, definition: Any
) -> None:
    with contextlib.suppress(PermanentFetchError, PayloadError):
        settle("surveymonkey", surveymonkey.read_response(details, definition))


@PURE
@given(document=mutated(QX_DOCUMENT) | json_values)
def test_qualtrics_documents_fail_only_as_permanent_fetch_errors(document: Any) -> None:
    with contextlib.suppress(PermanentFetchError, PayloadError):
        settle("qualtrics", qualtrics.read_response(document, "R_suq806jn8LGzhx7"))
