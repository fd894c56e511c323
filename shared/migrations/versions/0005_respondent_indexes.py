"""repeat complainers: index responses by respondent id and by email, with the submission time

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch_op:
        batch_op.create_index("ix_responses_respondent_id", ["respondent_id", "submitted_at"])
        batch_op.create_index("ix_responses_respondent_email", ["respondent_email", "submitted_at"])


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch_op:
        batch_op.drop_index("ix_responses_respondent_email")
        batch_op.drop_index("ix_responses_respondent_id")
