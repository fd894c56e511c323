"""Recovery rate: detractors at first who say we fixed it, per touchpoint, owner and root cause."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.desk import recovery
from services.desk.config import load_desk_config
from services.desk.kpis import Period
from shared.db import transaction
from shared.settings.files import EXAMPLE_DESK
from tests.desk.conftest import World, auth
from tests.desk.factories import T0, resolved_case
from tests.desk.test_pages import log_in

CONFIG = load_desk_config(EXAMPLE_DESK).follow_up
PERIOD = "start=2026-03-01&end=2026-03-07"


def _answered(
    session: Session, *, score: int | None, nps: int, touchpoint: str = "delivery",
    owner: str = "delivery-team", root_cause: str = "carrier_delay",
) -> None:  # fmt: skip
    case, follow_up = resolved_case(session, CONFIG, nps=nps, touchpoint=touchpoint, owner=owner)
    case.root_cause = root_cause
    follow_up.status, follow_up.sent_at = "sent", T0 + timedelta(days=2)
    if score is not None:
        follow_up.status, follow_up.score, follow_up.satisfied = "answered", score, score >= 7
        follow_up.answered_at = T0 + timedelta(days=3)


def _seed(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        _answered(s, score=9, nps=1)  # recovered
        _answered(s, score=7, nps=3, root_cause="lost_parcel")  # recovered
        _answered(s, score=2, nps=0, root_cause="lost_parcel")  # still unhappy
        _answered(s, score=10, nps=8)  # a passive at first: not a recovery
        _answered(s, score=None, nps=2)  # asked, no answer yet
        _answered(s, score=3, nps=4, touchpoint="store", owner="stores-team",
                  root_cause="queue_time")  # fmt: skip
        resolved_case(s, CONFIG, nps=1)  # scheduled, not asked yet: not counted


def _rows(client: FlaskClient, world: World, by: str, role: str = "champion") -> dict[str, list]:
    body = client.get(f"/v1/desk/kpis?{PERIOD}&by={by}", headers=auth(world, role)).json
    return {t["name"]: t["rows"] for t in body["tables"]}


def test_recovery_rate_per_touchpoint_owner_and_root_cause(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions)
    # (group, asked, answered, detractor answers, recovered, recovery %)
    tables = _rows(client, world, "touchpoint")
    assert tables["recovery"] == [["delivery", 5, 4, 3, 2, 66.7], ["store", 1, 1, 1, 0, 0.0]]
    assert _rows(client, world, "owner")["recovery"] == [
        ["delivery-team", 5, 4, 3, 2, 66.7], ["stores-team", 1, 1, 1, 0, 0.0],
    ]  # fmt: skip
    assert tables["recovery_by_root_cause"] == [
        ["carrier_delay", 3, 2, 1, 1, 100.0], ["lost_parcel", 2, 2, 2, 1, 50.0],
        ["queue_time", 1, 1, 1, 0, 0.0],
    ]  # fmt: skip
    assert _rows(client, world, "all")["recovery"] == [["all", 6, 5, 4, 2, 50.0]]
    # An owner sees their own cases' figures only (Dora's team owns the delivery cases).
    assert _rows(client, world, "all", role="other_owner")["recovery"] == [["all", 1, 1, 1, 0, 0.0]]
    csv_text = client.get(f"/v1/desk/exports/kpis/recovery.csv?{PERIOD}&by=touchpoint",
                          headers=auth(world, "champion")).text  # fmt: skip
    assert csv_text.splitlines()[0] == (
        "touchpoint,asked,answered,detractor_answers,recovered,recovery_pct"
    )


def test_the_dashboard_charts_the_recovery_rate(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions)
    log_in(client, "champ@example.com")
    page = client.get(f"/dashboard?{PERIOD}&by=touchpoint").text
    assert "Recovery rate by touchpoint (detractors who say we fixed it)" in page
    assert "Recovery rate by root cause" in page
    assert "lost parcel" in page and "66.7%" in page


def test_a_digest_counts_the_detractors_who_answered_in_its_span(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions)
    answered_day = (T0 + timedelta(days=3)).date()
    with sessions() as session:
        # Of the four detractors who answered that day, two say it was fixed.
        assert recovery.answered_in(session, Period(answered_day, answered_day)) == 50.0
        before = answered_day - timedelta(days=1)
        assert recovery.answered_in(session, Period(before, before)) is None
