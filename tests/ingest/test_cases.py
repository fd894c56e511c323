"""GET /v1/cases and /v1/cases/<id>: filters, keyset pagination newest first, full detail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Case, CaseEvent, Delivery, Response
from tests.ingest.payloads import auth

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def make_case(session: Session, n: int, *, created_at: datetime, **fields: Any) -> Case:
    response = Response(
        source="web",
        external_id=f"r-{n}",
        submitted_at=T0,
        nps=1,
        comment=f"comment {n} <b>bold</b>",
        respondent_email=f"c{n}@example.com",
        attributes={"region": "north"},
    )
    case = Case(
        response=response,
        priority=fields.pop("priority", "p2"),
        touchpoint=fields.pop("touchpoint", "delivery"),
        owner=fields.pop("owner", "delivery-team"),
        created_at=created_at,
        **fields,
    )
    session.add(case)
    session.flush()
    return case


@pytest.fixture
def five_cases(sessions: sessionmaker[Session]) -> list[int]:
    """Five cases; two share a creation time so ordering must fall back to the id."""
    with sessions.begin() as session:
        cases = [
            make_case(session, 0, created_at=T0),
            make_case(session, 1, created_at=T0 + timedelta(minutes=1), owner="billing-team",
                      touchpoint="billing"),
            make_case(session, 2, created_at=T0 + timedelta(minutes=2), status="resolved"),
            make_case(session, 3, created_at=T0 + timedelta(minutes=2)),
            make_case(session, 4, created_at=T0 + timedelta(minutes=3), status="acknowledged"),
        ]  # fmt: skip
        return [c.id for c in cases]


def ids_of(client, query: str = "") -> list[int]:
    resp = client.get(f"/v1/cases{query}", headers=auth())
    assert resp.status_code == 200, resp.get_json()
    return [item["id"] for item in resp.get_json()["items"]]


def test_cases_are_listed_newest_first(client, five_cases):
    c = five_cases
    assert ids_of(client) == [c[4], c[3], c[2], c[1], c[0]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("?status=resolved", [2]), ("?status=open", [4, 3, 1, 0]), ("?owner=billing-team", [1]),
     ("?touchpoint=delivery&status=new", [3, 0]), ("?owner=nobody", [])],
)  # fmt: skip
def test_cases_are_filtered(client, five_cases, query, expected):
    assert ids_of(client, query) == [five_cases[i] for i in expected]


def test_pages_follow_the_cursor_without_gaps_or_repeats(client, five_cases):
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/v1/cases{query}", headers=auth()).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(five_cases))


def test_a_list_item_summarises_the_case_and_its_response(client, five_cases):
    item = client.get("/v1/cases?limit=1", headers=auth()).get_json()["items"][0]
    assert item["status"] == "acknowledged" and item["owner"] == "delivery-team"
    assert item["response"]["response_id"] == "r-4"
    assert item["response"]["scores"] == {"nps": 1, "csat": None, "ces": None}
    assert item["response"]["comment_excerpt"] == "comment 4 <b>bold</b>"


@pytest.mark.parametrize(
    ("query", "field"),
    [("?cursor=bm9wZQ", "cursor"), ("?cursor=%00", "cursor"), ("?limit=201", "limit"),
     ("?limit=0", "limit"), ("?limit=ten", "limit"), ("?status=lost", "status"),
     ("?owner=a%00b", "owner"), ("?sort=asc", "sort")],
)  # fmt: skip
def test_bad_query_parameters_are_422_naming_the_parameter(client, query, field):
    resp = client.get(f"/v1/cases{query}", headers=auth())
    assert resp.status_code == 422
    assert list(resp.get_json()["errors"]) == [field]


def test_case_detail_shows_response_sentiment_reasons_receivers_deliveries_and_events(
    client, sessions
):
    with sessions.begin() as session:
        case = make_case(
            session, 7, created_at=T0, polarity=-0.6, subjectivity=0.8,
            analysis={"language": "en", "evidence": ["rain"]},
            reasons={"items": ["NPS 1 is a detractor score"]},
            touchpoints={"matches": [{"name": "delivery", "score": 0.9, "evidence": ["parcel"]}]},
            receivers={"names": ["delivery-team"]},
        )  # fmt: skip
        session.add_all(
            [
                Delivery(case=case, receiver="delivery-team", channel="email",
                         target="lead@example.com", status="sent", attempts=1, sent_at=T0),
                Delivery(case=case, receiver="delivery-team", channel="slack",
                         target="webhook:CXLOOP_SLACK_WEBHOOK_DELIVERY", status="failed",
                         attempts=3,
                         last_error="404 from https://hooks.slack.com/services/T0/B0/secret"),
                CaseEvent(case=case, action="created", detail={"owner": "delivery-team"}),
            ]
        )  # fmt: skip
        case_id = case.id
    resp = client.get(f"/v1/cases/{case_id}", headers=auth())
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["response"]["comment"] == "comment 7 <b>bold</b>"
    assert body["response"]["respondent"]["email"] == "c7@example.com"
    assert body["response"]["attributes"] == {"region": "north"}
    assert body["sentiment"]["polarity"] == -0.6 and body["sentiment"]["subjectivity"] == 0.8
    assert body["reasons"] == {"items": ["NPS 1 is a detractor score"]}
    assert body["touchpoints"]["matches"][0]["evidence"] == ["parcel"]
    assert body["receivers"] == {"names": ["delivery-team"]}
    email, slack = body["deliveries"]
    assert (email["channel"], email["status"], email["sent_at"]) == (
        "email",
        "sent",
        T0.isoformat(),
    )
    assert slack["target"] == "webhook:CXLOOP_SLACK_WEBHOOK_DELIVERY"
    assert slack["attempts"] == 3 and "404" in slack["last_error"]
    assert "secret" not in resp.get_data(as_text=True)
    assert [e["action"] for e in body["events"]] == ["created"]
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("case_id", "message"),
    [("12345", "no case 12345"),
     ("99999999999999999999", "nothing has id 99999999999999999999: ids stop at 2147483647")],
)  # fmt: skip
def test_an_unknown_case_is_404(client, case_id, message):
    resp = client.get(f"/v1/cases/{case_id}", headers=auth())
    assert resp.status_code == 404
    assert resp.get_json()["message"] == message
