"""The desk JSON API: tokens, roles, lifecycle over HTTP, queue filters, KPIs, exports, OpenAPI."""

from __future__ import annotations

import json

import redis
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.desk.config import load_desk_config
from services.desk.escalation import stamp_batch
from shared.db import transaction
from shared.settings.files import EXAMPLE_DESK
from tests.desk.conftest import World, auth


def test_requests_without_a_valid_token_get_401_in_the_error_shape(
    client: FlaskClient, world: World
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer cxd_wrong"},
        {"Authorization": "Bearer test-key"},
    ):
        response = client.get("/v1/desk/queue", headers=headers)
        assert response.status_code == 401
        assert set(response.json) == {"code", "status", "message", "errors"}


def test_an_owner_sees_and_changes_only_their_teams_cases(
    client: FlaskClient, world: World
) -> None:
    listed = client.get("/v1/desk/queue", headers=auth(world, "owner")).json
    assert [c["id"] for c in listed["items"]] == [world.delivery_case]
    assert (
        client.get(f"/v1/desk/cases/{world.store_case}", headers=auth(world, "owner")).status_code
        == 404
    )
    denied = client.post(f"/v1/cases/{world.store_case}/acknowledge", headers=auth(world, "owner"))
    assert denied.status_code == 404
    ok = client.post(f"/v1/cases/{world.delivery_case}/acknowledge", headers=auth(world, "owner"))
    assert ok.status_code == 200
    assert ok.json["status"] == "acknowledged"


def test_a_viewer_reads_everything_and_changes_nothing(client: FlaskClient, world: World) -> None:
    listed = client.get("/v1/desk/queue", headers=auth(world, "viewer")).json
    assert {c["id"] for c in listed["items"]} == {world.delivery_case, world.store_case}
    for action, body in [("acknowledge", None), ("notes", {"body": "hi"}),
                         ("assign", {"team": "delivery"})]:  # fmt: skip
        response = client.post(
            f"/v1/cases/{world.delivery_case}/{action}", json=body, headers=auth(world, "viewer")
        )
        assert response.status_code == 403, action


def test_the_lifecycle_over_http_with_409_for_illegal_steps(
    client: FlaskClient, world: World
) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}", auth(world, "champion")
    early = client.post(f"{url}/resolve", json={"root_cause": "other", "resolution_note": "x"},
                        headers=headers)  # fmt: skip
    assert early.status_code == 409
    assert early.json["message"].startswith("cannot resolve a case that is new")
    assert client.post(f"{url}/start", headers=headers).json["status"] == "in_progress"
    bad = client.post(f"{url}/resolve", json={"root_cause": "bug", "resolution_note": "x"},
                      headers=headers)  # fmt: skip
    assert bad.status_code == 422
    assert "root_cause" in bad.json["errors"]
    done = client.post(
        f"{url}/resolve",
        json={"root_cause": "carrier_delay", "resolution_note": "Refunded"},
        headers=headers,
    ).json
    assert (done["status"], done["root_cause"]) == ("resolved", "carrier_delay")
    assert client.post(f"{url}/close", headers=headers).json["status"] == "closed"
    assert client.post(f"{url}/close", headers=headers).status_code == 409
    reopened = client.post(f"{url}/reopen", json={"reason": "wrote again", "to": "in_progress"},
                           headers=headers).json  # fmt: skip
    assert reopened["status"] == "in_progress" and reopened["root_cause"] is None
    actions = [e["action"] for e in reopened["timeline"]]
    assert actions == ["start", "resolve", "close", "reopen"]
    resolve_event = reopened["timeline"][1]
    assert resolve_event["actor"] == "champ@example.com"
    assert resolve_event["detail"]["after"]["root_cause"] == "carrier_delay"
    assert resolve_event["detail"]["before"]["status"] == "in_progress"


def test_unknown_fields_and_bad_json_are_422(client: FlaskClient, world: World) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}", auth(world, "champion")
    response = client.post(f"{url}/notes", json={"body": "x", "colour": "red"}, headers=headers)
    assert response.status_code == 422 and "colour" in response.json["errors"]
    response = client.post(
        f"{url}/notes", data="{", content_type="application/json", headers=headers
    )
    assert response.status_code == 422


def test_notes_contacts_and_assignment_alert_the_assignee_through_the_notifier(
    client: FlaskClient, world: World, redis_url: str
) -> None:
    url, headers = f"/v1/cases/{world.delivery_case}", auth(world, "champion")
    client.post(f"{url}/notes", json={"body": "Called the courier"}, headers=headers)
    client.post(f"{url}/contacts", json={"channel": "phone", "outcome": "reached",
                                         "note": "Apologised"}, headers=headers)  # fmt: skip
    body = client.post(f"{url}/assign", json={"assignee": "dora@example.com", "team": "delivery"},
                       headers=headers).json  # fmt: skip
    assert body["assignee"]["email"] == "dora@example.com" and body["team"] == "delivery"
    assert [n["body"] for n in body["notes"]] == ["Called the courier"]
    assert body["contacts"][0]["outcome"] == "reached"
    alert = [d for d in body["deliveries"] if d["target"] == "dora@example.com"]
    assert alert and alert[0]["kind"] == "assigned" and alert[0]["status"] == "pending"
    queued = redis.Redis.from_url(redis_url).lrange("notifier", 0, -1)
    tasks = [json.loads(m)["headers"] for m in queued]
    assert [(t["task"], t["argsrepr"]) for t in tasks] == [
        ("notifier.deliver", f"[{alert[0]['id']}]")
    ]
    assert client.post(f"{url}/assign", json={"assignee": "nobody@example.com"},
                       headers=headers).status_code == 422  # fmt: skip


def test_queue_filters_search_counts_and_keyset_pages(client: FlaskClient, world: World) -> None:
    headers = auth(world, "champion")

    def ids(query: str) -> list[int]:
        response = client.get(f"/v1/desk/queue?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [c["id"] for c in response.json["items"]]

    assert ids("touchpoint=store") == [world.store_case]
    assert ids("q=FENCE") == [world.delivery_case]
    assert ids("q=%25") == []  # a literal percent sign, not a wildcard
    assert ids("priority=p1,p3") == [world.store_case]
    assert ids("team=delivery") == [world.delivery_case]
    assert ids("nps_max=1") == []
    assert ids("created_from=2026-03-02&created_to=2026-03-02") != []
    assert ids("created_from=2026-03-03") == []
    first = client.get("/v1/desk/queue?limit=1&sort=priority", headers=headers).json
    assert [c["id"] for c in first["items"]] == [world.store_case]
    second = client.get(f"/v1/desk/queue?limit=1&sort=priority&cursor={first['next_cursor']}",
                        headers=headers).json  # fmt: skip
    assert [c["id"] for c in second["items"]] == [world.delivery_case]
    assert second["next_cursor"] is None
    assert first["counts"]["touchpoint"] == {"delivery": 1, "store": 1}
    bad = client.get("/v1/desk/queue?cursor=nonsense&sort=priority", headers=headers)
    assert bad.status_code == 422
    assert client.get("/v1/desk/queue?status=lost", headers=headers).status_code == 422


def test_overdue_cases_are_flagged(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        stamp_batch(session, config=load_desk_config(EXAMPLE_DESK))
    # Now is Tuesday 16:00 UTC: the p1 store case (1h, wall clock) is long overdue; the p2
    # delivery case (2h to acknowledge in London business hours from Monday 10:00) too.
    body = client.get("/v1/desk/queue?sla=overdue", headers=auth(world, "champion")).json
    assert {c["id"] for c in body["items"]} == {world.delivery_case, world.store_case}
    detail = client.get(f"/v1/desk/cases/{world.store_case}", headers=auth(world, "champion")).json
    assert detail["sla_state"] == "overdue"
    assert detail["ack_due_at"] == "2026-03-02T11:00:00+00:00"


def test_kpis_exports_and_openapi(client: FlaskClient, world: World) -> None:
    headers = auth(world, "champion")
    body = client.get("/v1/desk/kpis?start=2026-03-01&end=2026-03-07&by=touchpoint",
                      headers=headers).json  # fmt: skip
    tables = {t["name"]: t for t in body["tables"]}
    assert tables["complaints_per_day"]["rows"] == [["2026-03-02", "delivery", 1],
                                                    ["2026-03-02", "store", 1]]  # fmt: skip
    csv_text = client.get("/v1/desk/exports/cases.csv?status=open", headers=headers).text
    assert csv_text.splitlines()[0].startswith("id,status,priority")
    assert len(csv_text.splitlines()) == 3
    kpi_csv = client.get("/v1/desk/exports/kpis/escalations.csv", headers=headers)
    assert kpi_csv.mimetype == "text/csv"
    spec = client.get("/openapi.json").json
    assert spec["openapi"] == "3.0.3"
    assert "/v1/cases/{case_id}/resolve" in spec["paths"]
    assert "ResolveIn" in spec["components"]["schemas"]
    assert "QueuePage" in spec["components"]["schemas"]
