"""The shipped migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shared.db import make_engine
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
