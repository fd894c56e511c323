"""`cxloop import FILE.csv --source NAME`: summary, reject file, idempotent re-runs, routing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxloop.cli import main
from services.router import service
from services.router.config import load_config
from services.router.decision import detector_for
from shared.models import Case, Delivery, Response
from shared.settings import Settings
from shared.sla import sla_rules

EXPORT = """\
Response ID,Submitted At,How likely are you to recommend us?,Why?,touchpoint,customer_id,region
r-1,2024-03-01 10:00:00,2,The parcel never arrived.,delivery,C-1,emea
r-2,2024-03-01T11:00:00+01:00,10,Great service,,C-2,us
r-3,yesterday,5,Slow,delivery,C-3,us
,2024-03-01 12:00:00,4,No id here,,C-4,us
r-5,2024-03-01 13:00:00,11,Out of range,,C-5,us
r-6,2024-03-01 14:00:00,,,,C-6,us
"""


@pytest.fixture
def run_import(
    settings: Settings,
    redis_url: str,
    sources_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., object]:
    env = settings.with_(redis_url=redis_url, sources_file=sources_file).to_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    export = tmp_path / "export.csv"
    export.write_text(EXPORT)

    def run(*extra: str) -> object:
        return CliRunner().invoke(
            main,
            [
                "import",
                str(export),
                "--source",
                "tally",
                "--map",
                "nps=How likely are you to recommend us?",
                "--map",
                "comment=Why?",
                *extra,
            ],
        )

    return run


def test_an_export_is_imported_with_a_summary_and_a_reject_file(
    run_import: Callable[..., object],
    rows: Callable[[], list[Response]],
    tmp_path: Path,
    redis_url: str,
) -> None:
    result = run_import()
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert "imported 2, duplicate 0, rejected 4" in result.output  # type: ignore[attr-defined]
    reject_file = tmp_path / "export.rejects.csv"
    assert f"rejected rows and reasons: {reject_file}" in result.output  # type: ignore[attr-defined]
    stored = {r.external_id: r for r in rows()}
    assert set(stored) == {"r-1", "r-2"}
    first = stored["r-1"]
    assert (first.nps, first.comment, first.touchpoint, first.respondent_id) == (
        2,
        "The parcel never arrived.",
        "delivery",
        "C-1",
    )
    assert first.attributes == {"region": "emea"}
    assert first.submitted_at.isoformat() == "2024-03-01T10:00:00+00:00"
    assert all(r.enqueued_at is not None for r in stored.values())  # sent for routing
    assert redis.Redis.from_url(redis_url).llen("router") == 1  # one message names both
    with (tmp_path / "export.rejects.csv").open() as handle:
        rejects = {int(r["line"]): r["reason"] for r in csv.DictReader(handle)}
    assert set(rejects) == {4, 5, 6, 7}
    assert "not ISO-8601" in rejects[4]
    assert "no response id" in rejects[5]
    assert "scores.nps" in rejects[6]
    assert "at least one score" in rejects[7]


def test_running_the_same_import_again_creates_nothing(
    run_import: Callable[..., object], rows: Callable[[], list[Response]]
) -> None:
    run_import()
    again = run_import()
    assert "imported 0, duplicate 2, rejected 4" in again.output  # type: ignore[attr-defined]
    assert len(rows()) == 2


def test_an_unknown_source_is_a_clear_error(
    run_import: Callable[..., object], tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["import", str(tmp_path / "export.csv"), "--source", "nope"])
    assert result.exit_code == 1
    assert "no source named 'nope'" in result.output


def test_an_import_without_rejects_exits_zero(
    run_import: Callable[..., object], tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text("\n".join(EXPORT.splitlines()[:3]) + "\n")  # the header and two good rows
    result = run_import()
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "rejected 0" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "export.rejects.csv").exists()


def test_since_skips_rows_answered_before_the_date(
    run_import: Callable[..., object], rows: Callable[[], list[Response]], tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        EXPORT.splitlines()[0] + "\n"
        "old,2024-02-28 10:00:00,3,Too old to import,delivery,C-9,us\n"
        + "\n".join(EXPORT.splitlines()[1:3])
        + "\n"
    )
    result = run_import("--since", "2024-03-01")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "imported 2, duplicate 0, rejected 0, skipped 1 answered before 2024-03-01" in (
        result.output  # type: ignore[attr-defined]
    )
    assert {r.external_id for r in rows()} == {"r-1", "r-2"}


def test_no_alerts_imports_history_as_closed_cases_without_any_delivery(
    run_import: Callable[..., object],
    rows: Callable[[], list[Response]],
    sessions: sessionmaker[Session],
    settings: Settings,
) -> None:
    result = run_import("--no-alerts")
    assert "(history: cases closed, nobody alerted)" in result.output  # type: ignore[attr-defined]
    config = load_config(settings.routes_file)
    with sessions() as session, session.begin():
        for response in rows():
            delivery_ids = service.route_stored(
                session, response_id=response.id, config=config, detector=detector_for(config),
                now=datetime.now(UTC), sla=sla_rules(settings.desk_file),
            )  # fmt: skip
            assert delivery_ids == []
    with sessions() as session:
        cases = list(session.scalars(select(Case)))
        assert [c.response.external_id for c in cases] == ["r-1"]  # the detractor
        assert cases[0].status == "closed"
        assert cases[0].created_at == cases[0].response.submitted_at
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
        decisions = {r.external_id: r.decision for r in session.scalars(select(Response))}
    assert decisions["r-2"] is not None and decisions["r-2"]["dissatisfied"] is False
