"""The desk API's own take and snooze: what the alert buttons do, for scripts and integrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Case
from tests.desk.conftest import NOW, World, auth

ERROR_KEYS = {"code", "status", "message", "errors"}


def fields(sessions: sessionmaker[Session], case_id: int) -> tuple[Any, ...]:
    with sessions() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.status, case.assignee_id, case.snoozed_until, case.updated_at


def test_take_and_snooze(client: FlaskClient, world: World) -> None:
    taken = client.post(f"/v1/cases/{world.delivery_case}/take", headers=auth(world, "owner"))
    assert taken.status_code == 200, taken.json
    assert taken.json["assignee"]["email"] == "dora@example.com"
    assert taken.json["status"] == "acknowledged"
    assert "Dora took the case" in [e["text"] for e in taken.json["timeline"]][-1]
    again = client.post(f"/v1/cases/{world.delivery_case}/take", headers=auth(world, "owner"))
    assert again.status_code == 409 and again.json["message"] == "the case is already yours"

    snoozed = client.post(f"/v1/cases/{world.delivery_case}/snooze", json={"until": "1h"},
                          headers=auth(world, "owner"))  # fmt: skip
    assert snoozed.status_code == 200
    assert snoozed.json["snoozed"] is True
    assert snoozed.json["snoozed_until"] == (NOW + timedelta(hours=1)).isoformat()
    queue = client.get("/v1/desk/queue", headers=auth(world, "owner")).json["items"]
    assert [(c["id"], c["snoozed"]) for c in queue] == [(world.delivery_case, True)]
    tomorrow = client.post(f"/v1/cases/{world.delivery_case}/snooze",
                           json={"until": "tomorrow"}, headers=auth(world, "owner"))  # fmt: skip
    assert tomorrow.json["snoozed_until"] == datetime(2026, 3, 4, 9, tzinfo=UTC).isoformat()


@pytest.mark.parametrize(
    ("action", "body", "role", "case_key", "code"),
    [
        ("snooze", {"until": "next week"}, "owner", "delivery", 422),
        ("snooze", {}, "owner", "delivery", 422),
        ("snooze", {"until": "1h"}, "viewer", "delivery", 403),
        ("take", {}, "viewer", "delivery", 403),
        ("take", {}, "owner", "store", 404),
        ("take", {}, "owner", "missing", 404),
        ("snooze", {"until": "1h"}, "champion", "closed", 409),
        ("take", {}, "champion", "closed", 409),
    ],
)
def test_bad_take_and_snooze_change_nothing(
    client: FlaskClient, world: World, sessions: sessionmaker[Session],
    action: str, body: dict[str, Any], role: str, case_key: str, code: int,
) -> None:  # fmt: skip
    if case_key == "closed":
        with sessions() as s, s.begin():
            case = s.get(Case, world.delivery_case)
            assert case is not None
            case.status = "closed"
    case_id = {"delivery": world.delivery_case, "closed": world.delivery_case,
               "store": world.store_case, "missing": 999_999}[case_key]  # fmt: skip
    before = [fields(sessions, world.delivery_case), fields(sessions, world.store_case)]
    answer = client.post(f"/v1/cases/{case_id}/{action}", json=body, headers=auth(world, role))
    assert answer.status_code == code
    assert set(answer.json) == ERROR_KEYS
    assert [fields(sessions, world.delivery_case), fields(sessions, world.store_case)] == before
