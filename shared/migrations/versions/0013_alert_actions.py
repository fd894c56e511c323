"""act from the alert: case snooze, Slack member ids of desk users, used action receipts

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("desk_users") as batch_op:
        batch_op.add_column(sa.Column("slack_user_id", sa.String(32), nullable=True))
        batch_op.create_unique_constraint("uq_desk_users_slack_user_id", ["slack_user_id"])
    op.create_table(
        "desk_action_receipts",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("desk_action_receipts")
    with op.batch_alter_table("desk_users") as batch_op:
        batch_op.drop_constraint("uq_desk_users_slack_user_id", type_="unique")
        batch_op.drop_column("slack_user_id")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("snoozed_until")
