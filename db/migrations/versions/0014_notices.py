"""notices: demand-management notices, their targets, recipients and acknowledgements

Peak-load warnings and outage notices with their targeting and state; the sites and the
contacts (with channel and address) each reached at issue, so that follow-ups go to exactly
those; one acknowledgement per customer and notice with its planned reduction.

Joins the two heads of the branches it was built on (the lead re-chains at merge).

Revision ID: 0014
Revises: 0007_quarter_hour_profile, 0010
Create Date: 2026-12-02 07:18:17.525231
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=10), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reduction_kw", sa.Integer(), nullable=True),
        sa.Column("reduction_pct", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("site_ids", sa.JSON(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("site_types", sa.JSON(), nullable=False),
        sa.Column("members_only", sa.Boolean(), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=True),
        sa.Column("issued_by", sa.String(length=254), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index("ix_notice_state_scheduled", ["state", "scheduled_at"], unique=False)
        batch_op.create_index("ix_notice_window", ["starts_at", "ends_at"], unique=False)

    op.create_table(
        "notice_acknowledgement",
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("planned_kw", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_notice_acknowledgement_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_notice_acknowledgement_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_acknowledgement_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notice_acknowledgement_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("notice_id", "customer_id", name=op.f("pk_notice_acknowledgement")),
    )
    op.create_table(
        "notice_recipient",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_notice_recipient_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_notice_recipient_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_recipient_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notice_recipient_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_recipient")),
    )
    with op.batch_alter_table("notice_recipient", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notice_recipient_notice", ["notice_id", "customer_id"], unique=False
        )

    op.create_table(
        "notice_target",
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("load_w", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_notice_target_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_target_notice_id_notice")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_notice_target_site_id_site")
        ),
        sa.PrimaryKeyConstraint("notice_id", "site_id", name=op.f("pk_notice_target")),
    )
    with op.batch_alter_table("notice_target", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_target_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notice_target_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_target_site_id"))
        batch_op.drop_index(batch_op.f("ix_notice_target_customer_id"))

    op.drop_table("notice_target")
    with op.batch_alter_table("notice_recipient", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_recipient_notice")

    op.drop_table("notice_recipient")
    op.drop_table("notice_acknowledgement")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_window")
        batch_op.drop_index("ix_notice_state_scheduled")

    op.drop_table("notice")
