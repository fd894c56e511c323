"""case desk: users, teams, tokens, notes, contacts; lifecycle and SLA columns on cases

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_INDEXES = {
    "ix_cases_created": ["created_at"],
    "ix_cases_assignee_status": ["assignee_id", "status"],
    "ix_cases_team_status": ["team", "status"],
    "ix_cases_priority_status": ["priority", "status"],
    "ix_cases_status_ack_due": ["status", "ack_due_at"],
    "ix_cases_status_resolve_due": ["status", "resolve_due_at"],
}


def upgrade() -> None:
    op.create_table(
        "desk_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "desk_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["desk_teams.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("desk_teams") as batch_op:
        batch_op.create_foreign_key(
            "fk_teams_lead", "desk_users", ["lead_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "desk_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["desk_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_table(
        "desk_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["desk_users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_notes_case", "desk_notes", ["case_id", "id"])
    op.create_table(
        "desk_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["desk_users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_contacts_case", "desk_contacts", ["case_id", "id"])

    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team", sa.String(length=100), nullable=True))
        for name in ("acknowledged_at", "resolved_at", "closed_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("root_cause", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
        for name in ("ack_due_at", "resolve_due_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_step", sa.Integer(), nullable=False, server_default="0")
        )
        for name, columns in CASE_INDEXES.items():
            batch_op.create_index(name, columns)

    op.create_index("ix_responses_submitted", "responses", ["submitted_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index(
        "ix_responses_comment_trgm",
        "responses",
        ["comment"],
        postgresql_using="gin",
        postgresql_ops={"comment": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_responses_comment_trgm", table_name="responses")
    op.drop_index("ix_responses_submitted", table_name="responses")
    with op.batch_alter_table("cases") as batch_op:
        for name in CASE_INDEXES:
            batch_op.drop_index(name)
        for column in (
            "escalation_step", "resolve_due_at", "ack_due_at", "resolution_note", "root_cause",
            "closed_at", "resolved_at", "acknowledged_at", "team", "assignee_id",
        ):  # fmt: skip
            batch_op.drop_column(column)
    op.drop_index("ix_desk_contacts_case", table_name="desk_contacts")
    op.drop_table("desk_contacts")
    op.drop_index("ix_desk_notes_case", table_name="desk_notes")
    op.drop_table("desk_notes")
    op.drop_table("desk_api_tokens")
    with op.batch_alter_table("desk_teams") as batch_op:
        batch_op.drop_constraint("fk_teams_lead", type_="foreignkey")
    op.drop_table("desk_users")
    op.drop_table("desk_teams")
