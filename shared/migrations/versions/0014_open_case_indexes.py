"""desk at a million cases: open cases indexed in the queue's orders, statistics of the UTC day

The overdue view and the priority sort used to read and sort every open case (ten thousand at
a million cases) for one page; with these partial indexes they read one page. The per-day KPIs
group by the UTC day of a timestamp: without statistics of that expression PostgreSQL expects
one group per case and sorts them all, with them it counts into a small hash table.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")
# Must stay the expression shared.models.current_deadline() builds, or the planner ignores it.
DEADLINE = sa.text("(CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END)")
# The day must stay the expression services.desk.kpi_base.utc_day() builds (PostgreSQL only: SQLite
# has no such statistics). score_trends also groups by the response's own touchpoint.
DAY_STATISTICS = {
    "st_cases_created_day": "ON (date(timezone('UTC'::text, created_at))) FROM cases",
    "st_responses_submitted_day": (
        "(ndistinct) ON touchpoint, (date(timezone('UTC'::text, submitted_at))) FROM responses"
    ),
}


def upgrade() -> None:
    op.create_index(
        "ix_cases_open_due", "cases", [DEADLINE, "id"], postgresql_where=OPEN, sqlite_where=OPEN
    )
    op.create_index(
        "ix_cases_open_priority", "cases", ["priority", "created_at", "id"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        for name, definition in DAY_STATISTICS.items():
            op.execute(f"CREATE STATISTICS {name} {definition}")
        op.execute("ANALYZE cases, responses")  # statistics count from the next ANALYZE


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in DAY_STATISTICS:
            op.execute(f"DROP STATISTICS IF EXISTS {name}")
    op.drop_index("ix_cases_open_priority", "cases")
    op.drop_index("ix_cases_open_due", "cases")
