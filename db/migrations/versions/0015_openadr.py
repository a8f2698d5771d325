"""openadr: VEN registrations, OpenADR events and their deliveries with the opt answers

A site's VEN (pending until demand staff approve it, then with its unique ven id), each
notice as an OpenADR event (its event id and modification number, so that they survive a
restart of the VTN), and per VEN and event the modification delivered and the VEN's opt-in
or opt-out, linked to the notice's target site.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 07:26:05.484863
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openadr_event",
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("modification_number", sa.Integer(), nullable=False),
        sa.Column("notice_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_openadr_event_notice_id_notice")
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_openadr_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_openadr_event_event_id")),
    )
    op.create_table(
        "ven_registration",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("ven_name", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("ven_id", sa.String(length=40), nullable=True),
        sa.Column("registration_id", sa.String(length=40), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_ven_registration_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_ven_registration_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ven_registration")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_ven_registration_fingerprint")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_ven_registration_registration_id")),
        sa.UniqueConstraint("ven_id", name=op.f("uq_ven_registration_ven_id")),
    )
    with op.batch_alter_table("ven_registration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ven_registration_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ven_registration_site_id"), ["site_id"], unique=False)

    op.create_table(
        "openadr_delivery",
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "ven_registration_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("delivered_modification", sa.Integer(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("opt_type", sa.String(length=8), nullable=True),
        sa.Column("opt_modification", sa.Integer(), nullable=True),
        sa.Column("opt_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_openadr_delivery_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id", "site_id"],
            ["notice_target.notice_id", "notice_target.site_id"],
            name="fk_openadr_delivery_target",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["openadr_event.notice_id"],
            name=op.f("fk_openadr_delivery_notice_id_openadr_event"),
        ),
        sa.ForeignKeyConstraint(
            ["ven_registration_id"],
            ["ven_registration.id"],
            name=op.f("fk_openadr_delivery_ven_registration_id_ven_registration"),
        ),
        sa.PrimaryKeyConstraint(
            "notice_id", "ven_registration_id", name=op.f("pk_openadr_delivery")
        ),
    )
    with op.batch_alter_table("openadr_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_openadr_delivery_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_openadr_delivery_ven_registration_id"),
            ["ven_registration_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("openadr_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openadr_delivery_ven_registration_id"))
        batch_op.drop_index(batch_op.f("ix_openadr_delivery_customer_id"))

    op.drop_table("openadr_delivery")
    with op.batch_alter_table("ven_registration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ven_registration_site_id"))
        batch_op.drop_index(batch_op.f("ix_ven_registration_customer_id"))

    op.drop_table("ven_registration")
    op.drop_table("openadr_event")
