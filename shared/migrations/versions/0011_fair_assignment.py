"""fair assignment: out-of-office days per user and when round robin last gave them a case

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("desk_users") as batch_op:
        batch_op.add_column(sa.Column("away_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("away_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("desk_users") as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("away_until")
        batch_op.drop_column("away_from")
