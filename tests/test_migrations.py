"""The shipped migrations build exactly the schema the models describe."""

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shared.db import alembic_config, make_engine
from shared.models import Base

# Alembic cannot compare the expression index ix_cases_open_due: SQLite does not reflect it,
# PostgreSQL prints its CASE over several lines. The next test checks that migrations build it.
EXPRESSION_INDEXES = {"ix_cases_open_due"}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata
        )
    engine.dispose()
    assert [
        d for d in diff if not (d[0].endswith("_index") and d[1].name in EXPRESSION_INDEXES)
    ] == []


def test_migrations_build_the_expression_index(db_url: str) -> None:
    engine = make_engine(db_url)
    query = (
        "SELECT sql FROM sqlite_master WHERE name = 'ix_cases_open_due'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_cases_open_due'"
    )
    with engine.connect() as conn:
        definition = conn.execute(text(query)).scalar_one()
    engine.dispose()
    flat = "".join(definition.upper().replace("(", "").replace(")", "").split())
    assert "CASEWHENACKNOWLEDGED_ATISNULLTHENACK_DUE_ATELSERESOLVE_DUE_ATEND" in flat


def test_migration_0019_gives_each_case_its_first_contact_and_first_reach(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    command.upgrade(alembic_config(url), "0018")
    engine = make_engine(url)
    rows = """
    INSERT INTO responses (id, source, external_id, submitted_at, received_at, comment,
                           attributes, raw, fetch_attempts) VALUES
        (1, 't', 'a', '2026-03-02 10:00', '2026-03-02 10:00', '', '{}', '{}', 0),
        (2, 't', 'b', '2026-03-02 10:00', '2026-03-02 10:00', '', '{}', '{}', 0);
    INSERT INTO cases (id, response_id, status, priority, touchpoint, touchpoints, owner,
                       receivers, reasons, analysis, created_at, updated_at, escalation_step)
        VALUES (1, 1, 'new', 'p2', 'store', '{}', 'o', '{}', '{}', '{}', '2026-03-02 10:00',
                '2026-03-02 10:00', 0),
               (2, 2, 'new', 'p2', 'store', '{}', 'o', '{}', '{}', '{}', '2026-03-02 10:00',
                '2026-03-02 10:00', 0);
    INSERT INTO desk_contacts (case_id, channel, outcome, note, at) VALUES
        (1, 'phone', 'reached', '', '2026-03-02 15:00'),
        (1, 'phone', 'no_answer', '', '2026-03-02 12:00'),
        (1, 'email', 'reached', '', '2026-03-02 14:00')
    """
    with engine.begin() as conn:
        for statement in rows.split(";"):
            conn.execute(text(statement))
    command.upgrade(alembic_config(url), "0019")
    with engine.connect() as conn:
        stamped = conn.execute(
            text("SELECT id, first_contact_at, reached_at FROM cases ORDER BY id")
        ).all()
    engine.dispose()
    assert [(i, str(f)[:16], str(r)[:16]) for i, f, r in stamped] == [
        (1, "2026-03-02 12:00", "2026-03-02 14:00"),
        (2, "None", "None"),
    ]
