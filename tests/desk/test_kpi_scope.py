"""Owners see KPIs for their own cases only; champions, admins and viewers see every case."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.desk.conftest import World, auth
from tests.desk.test_pages import log_in

QUERY = "start=2026-03-01&end=2026-03-07&by=touchpoint"


def complaints(client: FlaskClient, world: World, role: str) -> list[list[object]]:
    body = client.get(f"/v1/desk/kpis?{QUERY}", headers=auth(world, role)).json
    tables = {t["name"]: t for t in body["tables"]}
    return tables["complaints_per_day"]["rows"]


@pytest.mark.parametrize("role", ["admin", "champion", "viewer"])
def test_roles_that_read_every_case_see_organisation_wide_kpis(
    client: FlaskClient, world: World, role: str
) -> None:
    assert complaints(client, world, role) == [["2026-03-02", "delivery", 1],
                                               ["2026-03-02", "store", 1]]  # fmt: skip


def test_an_owner_sees_only_their_teams_kpis(client: FlaskClient, world: World) -> None:
    assert complaints(client, world, "owner") == [["2026-03-02", "delivery", 1]]
    assert complaints(client, world, "other_owner") == [["2026-03-02", "store", 1]]
    body = client.get(f"/v1/desk/kpis?{QUERY}", headers=auth(world, "owner")).json
    for table in body["tables"]:
        assert not any("store" in map(str, row) for row in table["rows"]), table["name"]


def test_an_owners_kpi_export_and_dashboard_are_scoped_too(
    client: FlaskClient, world: World
) -> None:
    csv_text = client.get(
        f"/v1/desk/exports/kpis/backlog_by_age.csv?{QUERY}", headers=auth(world, "owner")
    ).text
    assert "delivery" in csv_text and "store" not in csv_text
    log_in(client, "dora@example.com")
    page = client.get(f"/exports/kpis/complaints_per_day.csv?{QUERY}").text
    assert "delivery" in page and "store" not in page
    assert client.get(f"/dashboard?{QUERY}").status_code == 200
