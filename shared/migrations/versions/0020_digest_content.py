"""digest_sends: the content the desk composed, and when the notifier stops retrying it

The desk plans and composes a digest; the notifier only renders and sends what is stored, so
the two services meet through this row instead of the notifier reading the desk's tables.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("digest_sends") as batch:
        batch.add_column(sa.Column("content", _JSON, nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digest_sends") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("content")
