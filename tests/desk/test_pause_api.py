"""Waiting on the customer through the desk API: the clock pauses, resuming moves the deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Case
from tests.desk.conftest import NOW, World, auth

ERROR_KEYS = {"code", "status", "message", "errors"}
# The example desk: a p2 delivery case has 2 days (48 working hours) to be resolved, counted in
# London's 09:00-18:00 on weekdays. Opened Monday 2 March 10:00, it is due Monday 9 March 13:00.
DUE = datetime(2026, 3, 9, 13, tzinfo=UTC)
LATER = datetime(2026, 3, 4, 12, tzinfo=UTC)  # NOW is Tuesday 16:00: 20h later, 5 working


def fields(sessions: sessionmaker[Session], case_id: int) -> tuple[Any, ...]:
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return (case.status, case.paused_at, case.paused_seconds, case.resolve_due_at,
                case.updated_at)  # fmt: skip


def post(client: FlaskClient, world: World, case_id: int, action: str, **body: Any) -> Any:
    return client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=auth(world, "owner"))


def test_waiting_pauses_the_clock_and_resuming_moves_the_deadline_on(
    app: Flask, client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    case_id = world.delivery_case
    assert post(client, world, case_id, "acknowledge").json["resolve_due_at"] == DUE.isoformat()
    waiting = post(client, world, case_id, "wait", note="Asked for a photo of the parcel")
    assert waiting.status_code == 200, waiting.json
    body = waiting.json
    assert (body["status"], body["sla_state"], body["paused_at"]) == (
        "waiting_on_customer", "paused", NOW.isoformat(),
    )  # fmt: skip
    assert "resume" in body["actions"] and "resolve" not in body["actions"]
    last = body["timeline"][-1]
    assert last["text"] == (
        "Dora put the case on waiting for the customer: its resolve clock is paused"
    )
    assert last["quote"] == "Asked for a photo of the parcel"

    queue = client.get("/v1/desk/queue", headers=auth(world, "owner")).json["items"]
    assert case_id not in [c["id"] for c in queue]  # "open" is the cases whose clock runs
    for query in ("status=waiting_on_customer", "status=open,waiting_on_customer&sla=paused"):
        listed = client.get(f"/v1/desk/queue?{query}", headers=auth(world, "owner")).json
        assert [(c["id"], c["sla_state"]) for c in listed["items"]] == [(case_id, "paused")]

    app.extensions["desk"] = replace(app.extensions["desk"], clock=lambda: LATER)
    resumed = post(client, world, case_id, "resume")
    assert resumed.status_code == 200, resumed.json
    body = resumed.json
    assert (body["status"], body["paused_at"]) == ("in_progress", None)
    assert body["paused_seconds"] == 20 * 3600
    # Five working hours waited (Tuesday 16-18, Wednesday 9-12): 13:00 becomes 18:00.
    assert body["resolve_due_at"] == datetime(2026, 3, 9, 18, tzinfo=UTC).isoformat()
    assert body["timeline"][-1]["text"] == (
        "Dora resumed the case after it waited 20h on the customer; the resolve deadline moved "
        "on by 5h of working time"
    )
    before = fields(sessions, case_id)
    again = post(client, world, case_id, "resume")
    assert again.status_code == 409
    assert again.json["message"] == (
        "cannot resume a case that is in_progress (allowed from: waiting_on_customer)"
    )
    assert fields(sessions, case_id) == before


@pytest.mark.parametrize(
    ("action", "body", "role", "case_key", "code", "field"),
    [
        ("wait", {"reason": "x"}, "owner", "acknowledged", 422, "reason"),
        ("wait", {"note": 42}, "owner", "acknowledged", 422, "note"),
        ("wait", {"note": "x" * 10_001}, "owner", "acknowledged", 422, "note"),
        ("wait", {"note": "\x00"}, "owner", "acknowledged", 422, "note"),
        ("wait", {}, "owner", "new", 409, None),
        ("wait", {}, "viewer", "acknowledged", 403, None),
        ("wait", {}, "owner", "store", 404, None),
        ("resume", {}, "owner", "acknowledged", 409, None),
        ("resume", {"now": "2026-03-04"}, "owner", "waiting", 422, "now"),
        ("resume", {}, "viewer", "waiting", 403, None),
        ("resume", {}, "owner", "missing", 404, None),
    ],
)
def test_bad_wait_and_resume_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session], action: str,
    body: dict[str, Any], role: str, case_key: str, code: int, field: str | None,
) -> None:  # fmt: skip
    if case_key in ("acknowledged", "waiting"):
        assert post(client, world, world.delivery_case, "acknowledge").status_code == 200
    if case_key == "waiting":
        assert post(client, world, world.delivery_case, "wait").status_code == 200
    case_id = {"store": world.store_case, "missing": 999_999}.get(case_key, world.delivery_case)
    before = [fields(sessions, world.delivery_case), fields(sessions, world.store_case)]
    answer = client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=auth(world, role))
    assert answer.status_code == code, answer.json
    assert set(answer.json) == ERROR_KEYS
    if field is not None:
        assert field in str(answer.json["errors"])
    assert [fields(sessions, world.delivery_case), fields(sessions, world.store_case)] == before
