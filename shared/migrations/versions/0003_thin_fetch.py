"""thin webhooks: an explicit fetch state on responses (due time and attempts) for the sweep

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch_op:
        batch_op.add_column(sa.Column("fetch_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("fetch_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_responses_fetch_due", ["fetch_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch_op:
        batch_op.drop_index("ix_responses_fetch_due")
        batch_op.drop_column("fetch_attempts")
        batch_op.drop_column("fetch_due_at")
