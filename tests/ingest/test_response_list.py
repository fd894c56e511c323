"""GET /v1/responses: every response with the router's decision, filters and keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.router import service
from services.router.config import load_config
from services.router.decision import detector_for
from shared.models import Response
from shared.settings import Settings
from tests.ingest.payloads import auth

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SAMPLES: list[dict[str, Any]] = [
    # source, day offset, nps, comment: a detractor, a promoter, a passive, a survey tool's late one
    {"source": "web", "days": 0, "nps": 1, "comment": "The courier left the parcel in the rain."},
    {"source": "web", "days": 1, "nps": 10, "comment": "Quick delivery, thank you."},
    {"source": "app", "days": 2, "nps": 7, "comment": "Fine."},
    {"source": "app", "days": 2, "nps": 9, "comment": ""},
]


@pytest.fixture
def stored(sessions: sessionmaker[Session], settings: Settings) -> list[int]:
    """Four responses, routed by the real router, and a fifth not routed yet."""
    config = load_config(settings.routes_file)
    ids = []
    with sessions.begin() as session:
        for n, sample in enumerate(SAMPLES):
            response = Response(
                source=sample["source"], external_id=f"r-{n}", nps=sample["nps"],
                submitted_at=T0 + timedelta(days=sample["days"]), comment=sample["comment"],
            )  # fmt: skip
            session.add(response)
            session.flush()
            ids.append(response.id)
        for response_id in ids:
            service.route_stored(
                session, response_id=response_id, config=config, detector=detector_for(config),
                now=T0 + timedelta(days=3),
            )  # fmt: skip
        waiting = Response(source="web", external_id="r-9", nps=3, submitted_at=T0)
        session.add(waiting)
        session.flush()
        ids.append(waiting.id)
    return ids


def listed(client: Any, query: str = "") -> dict[str, Any]:
    resp = client.get(f"/v1/responses{query}", headers=auth())
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def ids_of(client: Any, query: str = "") -> list[int]:
    return [item["id"] for item in listed(client, query)["items"]]


def test_every_response_is_listed_newest_first_with_its_decision(client, stored):
    body = listed(client)
    assert [i["id"] for i in body["items"]] == [
        stored[3],
        stored[2],
        stored[1],
        stored[4],
        stored[0],
    ]
    by_id = {item["id"]: item for item in body["items"]}
    promoter = by_id[stored[1]]
    assert promoter["outcome"] == "not a case" and promoter["case"] is None
    assert promoter["decision"]["dissatisfied"] is False
    assert promoter["decision"]["reasons"][0] == "NPS 10 is a promoter (9-10)"
    detractor = by_id[stored[0]]
    assert detractor["outcome"] == "case" and detractor["case"]["status"] == "new"
    assert detractor["decision"]["dissatisfied"] is True
    waiting = by_id[stored[4]]
    assert (waiting["outcome"], waiting["decision"]) == ("not routed yet", None)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?source=app", [3, 2]),
        ("?submitted_from=2025-03-02&submitted_to=2025-03-02", [1]),
        ("?submitted_to=2025-03-01", [4, 0]),
        ("?dissatisfied=no", [3, 2, 1]),
        ("?dissatisfied=yes", [0]),
        ("?has_case=false", [3, 2, 1, 4]),
        ("?has_case=true", [0]),
        ("?source=web&dissatisfied=false", [1]),
    ],
)
def test_responses_are_filtered(client, stored, query, expected):
    assert ids_of(client, query) == [stored[i] for i in expected]


def test_the_touchpoint_filter_uses_the_touchpoint_the_router_chose(client, stored):
    chosen = {item["id"]: item["touchpoint"] for item in listed(client)["items"]}
    touchpoint = chosen[stored[0]]
    assert touchpoint
    expected = [i for i, t in chosen.items() if t == touchpoint]
    assert ids_of(client, f"?touchpoint={touchpoint}") == expected


def test_pages_follow_the_cursor_without_gaps_or_repeats(client, stored):
    seen, cursor = [], ""
    for _ in range(5):
        body = listed(client, f"?limit=2{cursor}")
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert seen == ids_of(client) and len(seen) == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [("?cursor=bm9wZQ", "cursor"), ("?cursor=%00", "cursor"), ("?limit=201", "limit"),
     ("?limit=0", "limit"), ("?limit=ten", "limit"), ("?dissatisfied=maybe", "dissatisfied"),
     ("?has_case=2", "has_case"), ("?submitted_from=yesterday", "submitted_from"),
     ("?submitted_from=2025-03-02&submitted_to=2025-03-01", "submitted_to"),
     ("?source=a%00b", "source"), ("?sort=asc", "sort"),
     ("?submitted_to=9999-12-31", "submitted_to"),
     ("?submitted_from=0001-01-05", "submitted_from")],
)  # fmt: skip
def test_bad_query_parameters_are_422_in_the_usual_shape(client, stored, query, field):
    resp = client.get(f"/v1/responses{query}", headers=auth())
    assert resp.status_code == 422
    body = resp.get_json()
    assert list(body["errors"]) == [field]
    assert {"code", "status", "message"} <= set(body)


def test_listing_responses_needs_an_api_key(client, stored):
    for headers in ({}, auth("wrong-key")):
        resp = client.get("/v1/responses", headers=headers)
        assert resp.status_code == 401
        assert resp.get_json()["status"] == "Unauthorized"


def test_a_key_that_may_only_write_cannot_list_responses(make_app, settings, stored):
    client = make_app(settings.with_(api_keys=("survey-tool-key", "cases-read:crm-key")))
    client = client.test_client()
    refused = client.get("/v1/responses", headers=auth("survey-tool-key"))
    assert refused.status_code == 403 and "cases-read" in refused.get_json()["message"]
    assert client.get("/v1/responses", headers=auth("crm-key")).status_code == 200
