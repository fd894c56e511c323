"""The cases CSV carries the whole lifecycle (every timestamp, root cause, resolution note) and
defuses customer text a spreadsheet would run as a formula; the KPI API gives the new tables."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from services.desk.export import LIFECYCLE_COLUMNS
from services.desk.models import Contact
from shared.db import transaction
from shared.models import Case, CaseEvent
from tests.desk.conftest import World, auth
from tests.desk.factories import T0, make_case
from tests.desk.test_pages import log_in

H = timedelta(hours=1)
EXPORT = "/v1/desk/exports/cases.csv?status=open,resolved,closed"


def rows(text: str) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_the_cases_csv_has_every_lifecycle_timestamp_and_no_formulas(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        case = make_case(
            s, comment='=HYPERLINK("http://evil.example","click")', status="closed",
            acknowledged_at=T0 + H, resolved_at=T0 + 20 * H, closed_at=T0 + 21 * H,
            root_cause="carrier_delay", resolution_note="@SUM(A1) refunded the fee",
            escalation_step=2,
        )  # fmt: skip
        case.response.respondent_name, case.response.respondent_email = "+44 20 7946", None
        for action, hours in (("start", 2), ("escalate", 3), ("escalate", 8), ("reopen", 15),
                              ("start", 16)):  # fmt: skip
            s.add(CaseEvent(case_id=case.id, action=action, at=T0 + hours * H, actor="x@y.z"))
        s.add_all([
            Contact(case_id=case.id, channel="phone", outcome="no_answer", at=T0 + 4 * H),
            Contact(case_id=case.id, channel="email", outcome="reached", at=T0 + 6 * H),
        ])  # fmt: skip
        case_id = str(case.id)
    text = client.get(EXPORT, headers=auth(world, "champion"))
    assert text.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(text.text)))
    assert header[-len(LIFECYCLE_COLUMNS) :] == list(LIFECYCLE_COLUMNS)
    row = rows(text.text)[case_id]
    assert row["created_at"] == "2026-03-02T10:00:00+00:00"
    assert row["acknowledged_at"] == "2026-03-02T11:00:00+00:00"
    assert row["started_at"] == "2026-03-02T12:00:00+00:00"  # the first start
    assert row["first_contact_at"] == "2026-03-02T14:00:00+00:00"
    assert row["last_contact_at"] == "2026-03-02T16:00:00+00:00"
    assert (row["contacts"], row["customer_reached"]) == ("2", "yes")
    assert row["first_escalated_at"] == "2026-03-02T13:00:00+00:00"
    assert row["last_escalated_at"] == "2026-03-02T18:00:00+00:00"
    assert row["reopened_at"] == "2026-03-03T01:00:00+00:00"
    assert row["resolved_at"] == "2026-03-03T06:00:00+00:00"
    assert row["closed_at"] == "2026-03-03T07:00:00+00:00"
    assert row["root_cause"] == "carrier_delay"
    # Customer and staff text that starts like a formula is kept as text.
    assert row["resolution_note"] == "'@SUM(A1) refunded the fee"
    assert row["comment"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["respondent"] == "'+44 20 7946"
    untouched = rows(text.text)[str(world.store_case)]
    assert untouched["contacts"] == "0" and untouched["customer_reached"] == "no"
    assert untouched["started_at"] == "" and untouched["resolution_note"] == ""
    # The page's download link gives the same file.
    log_in(client, "champ@example.com")
    assert rows(client.get("/exports/cases.csv?status=open,resolved,closed").text)[case_id] == row


def test_an_owners_export_holds_only_their_cases(client: FlaskClient, world: World) -> None:
    text = client.get(EXPORT, headers=auth(world, "owner")).text
    assert set(rows(text)) == {str(world.delivery_case)}


def test_the_kpi_api_gives_headline_closed_loop_and_root_causes(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as s:
        case = s.get(Case, world.delivery_case)
        assert case is not None
        case.root_cause = "carrier_delay"
        s.add(Contact(case_id=case.id, channel="phone", outcome="reached", at=T0 + 3 * H))
    query = "start=2026-03-01&end=2026-03-07&by=touchpoint"
    body = client.get(f"/v1/desk/kpis?{query}", headers=auth(world, "champion")).json
    tables = {t["name"]: t for t in body["tables"]}
    headline = {row[0]: row[1:] for row in tables["headline"]["rows"]}
    assert headline["cases"] == [2, 0, 2]
    assert headline["closed_loop_pct"] == [50.0, None, None]
    assert headline["avg_first_contact_h"] == [3.0, None, None]
    assert tables["closed_loop"]["rows"] == [
        ["delivery", 1, 1, 1, 100.0, 100.0, 3.0, 3.0],
        ["store", 1, 0, 0, 0.0, 0.0, None, None],
    ]
    assert tables["root_causes"]["rows"] == [["delivery", "carrier_delay", 1, 100.0]]
    # The store owner sees neither the delivery contact nor its root cause.
    scoped = client.get(f"/v1/desk/kpis?{query}", headers=auth(world, "other_owner")).json
    scoped_tables = {t["name"]: t for t in scoped["tables"]}
    assert scoped_tables["root_causes"]["rows"] == []
    assert scoped_tables["closed_loop"]["rows"] == [["store", 1, 0, 0, 0.0, 0.0, None, None]]
    csv_text = client.get(
        f"/v1/desk/exports/kpis/closed_loop.csv?{query}", headers=auth(world, "champion")
    ).text
    assert csv_text.splitlines()[1] == "delivery,1,1,1,100.0,100.0,3.0,3.0"
