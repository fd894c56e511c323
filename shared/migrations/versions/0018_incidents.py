"""incidents: cases alike in a grouped route's labels, paged once as one incident

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = sa.DateTime(timezone=True)
OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("route_path", sa.String(length=500), nullable=False),
        sa.Column("receiver", sa.String(length=100), nullable=False),
        sa.Column("labels", _JSON, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("first_case_id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", _TIME, nullable=False),
        sa.Column("last_seen_at", _TIME, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("repeat_s", sa.Float(), nullable=False),
        sa.Column("targets", _JSON, nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("flush_due_at", _TIME, nullable=True),
        sa.Column("flush_seq", sa.Integer(), nullable=False),
        sa.Column("notified_count", sa.Integer(), nullable=False),
        sa.Column("notified_at", _TIME, nullable=True),
        sa.Column("resolved_at", _TIME, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["first_case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_incidents_open_key", "incidents", ["group_key"], unique=True,
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip
    op.create_index("ix_incidents_state_flush_due", "incidents", ["state", "flush_due_at"])
    op.create_index("ix_incidents_state_notified", "incidents", ["state", "notified_at"])
    op.create_table(
        "incident_cases",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("incident_id", "case_id"),
    )
    op.create_index("ix_incident_cases_case", "incident_cases", ["case_id"])
    op.create_table(
        "incident_flushes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("examples", _JSON, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "seq", name="uq_incident_flushes_seq"),
    )


def downgrade() -> None:
    op.drop_table("incident_flushes")
    op.drop_index("ix_incident_cases_case", table_name="incident_cases")
    op.drop_table("incident_cases")
    op.drop_index("ix_incidents_state_notified", table_name="incidents")
    op.drop_index("ix_incidents_state_flush_due", table_name="incidents")
    op.drop_index("uq_incidents_open_key", table_name="incidents")
    op.drop_table("incidents")
