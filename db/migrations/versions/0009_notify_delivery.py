"""notify delivery: a message's PDF attachment and its history of attempts and reports

``notification.attachment`` holds the plain document a message's PDF is rendered from at
sending; ``notification_step`` one row per attempt's outcome, delivery report, posting or
reading, for the message's page on Notifications.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 06:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0007_quarter_hour_profile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("attachment", sa.JSON(), nullable=True))
    op.create_table(
        "notification_step",
        sa.Column("id", BigId, nullable=False),
        sa.Column("notification_id", BigId, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_step_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_step")),
    )
    with op.batch_alter_table("notification_step") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_step_notification_id"), ["notification_id"]
        )


def downgrade() -> None:
    op.drop_table("notification_step")
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_column("attachment")
