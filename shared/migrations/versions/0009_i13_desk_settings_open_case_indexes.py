"""open cases indexed in the queue's orders: by the deadline that matters now, and by priority

The overdue view and the priority sort used to read and sort every open case (ten thousand at
a million cases) for one page; with these partial indexes they read one page.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")
# Must stay the expression shared.models.current_deadline() builds, or the planner ignores it.
DEADLINE = sa.text("(CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END)")


def upgrade() -> None:
    op.create_index(
        "ix_cases_open_due", "cases", [DEADLINE, "id"], postgresql_where=OPEN, sqlite_where=OPEN
    )
    op.create_index(
        "ix_cases_open_priority", "cases", ["priority", "created_at", "id"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_cases_open_priority", "cases")
    op.drop_index("ix_cases_open_due", "cases")
