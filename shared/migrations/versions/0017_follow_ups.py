"""did we fix it: one follow-up question per resolved case, and customers' opt-outs

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("target", sa.String(320), nullable=True),
        sa.Column("scale", sa.String(10), nullable=False),
        sa.Column("detractor", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        _when("due_at", nullable=False),
        _when("lease_until"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _when("first_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _when("sent_at"),
        _when("answered_at"),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.UniqueConstraint("case_id", name="uq_follow_ups_case_id"),
    )
    op.create_index("ix_follow_ups_status_due", "follow_ups", ["status", "due_at"])
    op.create_index("ix_follow_ups_created", "follow_ups", ["created_at"])
    op.create_table(
        "follow_up_customers",
        sa.Column("key", sa.String(400), primary_key=True),
        _when("opted_out_at"),
        _when("last_asked_at"),
        sa.Column("last_follow_up_id", sa.Integer(), nullable=True),
        _when("updated_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("follow_up_customers")
    op.drop_index("ix_follow_ups_created", table_name="follow_ups")
    op.drop_index("ix_follow_ups_status_due", table_name="follow_ups")
    op.drop_table("follow_ups")
