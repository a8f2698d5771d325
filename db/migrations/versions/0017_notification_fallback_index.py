"""notification_fallback_index: an index on notification.fallback_for_id

The column points at the message a fallback letter replaces. Without an index, each deleted
notification made the database scan the whole table for rows pointing at it (the foreign key's
check), so purging or emptying a large outbox on SQLite took minutes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_notification_fallback_for_id", "notification", ["fallback_for_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_notification_fallback_for_id", table_name="notification")
