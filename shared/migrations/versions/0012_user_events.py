"""desk user events: the audit trail of people management (created, disabled, re-roled...)

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_user_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("desk_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("detail", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    )
    op.create_index("ix_desk_user_events_user", "desk_user_events", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_desk_user_events_user", table_name="desk_user_events")
    op.drop_table("desk_user_events")
