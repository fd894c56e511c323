"""touchpoint corrections (labelled examples of this deployment) and the models learnt from them

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "touchpoint_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("from_touchpoint", sa.String(length=100), nullable=False),
        sa.Column("to_touchpoint", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_touchpoint_corrections_at", "touchpoint_corrections", ["at"])
    op.create_index(
        "ix_touchpoint_corrections_case", "touchpoint_corrections", ["case_id", "applied_at"]
    )
    op.create_index(
        "ix_touchpoint_corrections_unapplied", "touchpoint_corrections", ["applied_at", "at"]
    )
    op.create_table(
        "touchpoint_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_correction_id", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_touchpoint_models_status", "touchpoint_models", ["status"])


def downgrade() -> None:
    op.drop_index("ix_touchpoint_models_status", table_name="touchpoint_models")
    op.drop_table("touchpoint_models")
    op.drop_index("ix_touchpoint_corrections_unapplied", table_name="touchpoint_corrections")
    op.drop_index("ix_touchpoint_corrections_case", table_name="touchpoint_corrections")
    op.drop_index("ix_touchpoint_corrections_at", table_name="touchpoint_corrections")
    op.drop_table("touchpoint_corrections")
