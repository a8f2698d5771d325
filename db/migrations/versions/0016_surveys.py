"""surveys: a satisfaction survey per invitation after a meeting held or a request closed

One row per recipient (a contact by its signed link, a user in the lounge) of each meeting or
request, unique so that a repeat invites nobody twice; the score 1 to 5 and comment once
answered; the manager who served then; the follow-up of a low score.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("manager_id", BIG_ID, nullable=True),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("contact_id", BIG_ID, nullable=True),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_via", sa.String(length=10), nullable=True),
        sa.Column("follow_up_at", UTCDateTime(), nullable=True),
        sa.Column("follow_up_by_id", BIG_ID, nullable=True),
        sa.Column("follow_up_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)", name=op.f("ck_survey_score_1_to_5")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_survey_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_survey_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_by_id"],
            ["user_account.id"],
            name=op.f("fk_survey_follow_up_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["user_account.id"], name=op.f("fk_survey_manager_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_survey_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey")),
    )
    op.create_index(op.f("ix_survey_customer_id"), "survey", ["customer_id"], unique=False)
    op.create_index("ix_survey_manager_answered", "survey", ["manager_id", "answered_at"])
    op.create_index(
        "uq_survey_subject_recipient", "survey", ["subject", "subject_id", "recipient"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_survey_subject_recipient", table_name="survey")
    op.drop_index("ix_survey_manager_answered", table_name="survey")
    op.drop_index(op.f("ix_survey_customer_id"), table_name="survey")
    op.drop_table("survey")
