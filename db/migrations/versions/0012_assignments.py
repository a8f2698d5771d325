"""assignments: the history of customers' account managers, and managers' notes on customers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assignment_history",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("manager_id", _ID, nullable=False),
        sa.Column("previous_id", _ID, nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_assignment_history_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["user_account.id"],
            name=op.f("fk_assignment_history_manager_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["user_account.id"],
            name=op.f("fk_assignment_history_previous_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_history")),
    )
    with op.batch_alter_table("assignment_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_history_customer_at", ["customer_id", "at"], unique=False
        )
    op.create_table(
        "customer_note",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("author_id", _ID, nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_note_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_customer_note_author_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_note")),
    )
    with op.batch_alter_table("customer_note", schema=None) as batch_op:
        batch_op.create_index("ix_customer_note_customer_at", ["customer_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_note", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_note_customer_at")
    op.drop_table("customer_note")
    with op.batch_alter_table("assignment_history", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_history_customer_at")
    op.drop_table("assignment_history")
