"""notifications: the outbox, contacts' roles, postal addresses and channels per topic

A contact chose channels with four flags (e-mail, SMS, post, in-app) for every kind of message.
Now a contact picks channels per topic (membership, warnings, outages, service), in
``contact_channel``; the flags become one row per topic and chosen channel. In-app messages go to
users who sign in, not to contacts, so that flag has no successor; nor has the free-text title,
replaced by a role from a fixed list.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:36:01.843384
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TOPICS = ("membership", "warnings", "outages", "service")
FLAGS = {"email": "by_email", "sms": "by_sms", "post": "by_post"}


def upgrade() -> None:
    op.create_table(
        "contact_channel",
        sa.Column("contact_id", BigId, nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_contact_channel_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "topic", "channel", name=op.f("pk_contact_channel")),
    )
    for channel, flag in FLAGS.items():
        for topic in TOPICS:
            op.execute(
                f"INSERT INTO contact_channel (contact_id, topic, channel) "
                f"SELECT id, '{topic}', '{channel}' FROM contact WHERE {flag}"
            )
    op.create_table(
        "notification",
        sa.Column("id", BigId, nullable=False),
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("contact_id", BigId, nullable=True),
        sa.Column("user_id", BigId, nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column("sms_parts", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("fallback_for_id", BigId, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_notification_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_notification_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["fallback_for_id"],
            ["notification.id"],
            name=op.f("fk_notification_fallback_for_id_notification"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_key")),
    )
    with op.batch_alter_table("notification") as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_customer_id"), ["customer_id"])
        batch_op.create_index("ix_notification_due", ["status", "next_attempt_at"])
        batch_op.create_index(batch_op.f("ix_notification_source"), ["source"])
        batch_op.create_index("ix_notification_user_unread", ["user_id", "read_at"])

    with op.batch_alter_table("contact") as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="other")
        )
        batch_op.add_column(sa.Column("postal_address", sa.String(length=300), nullable=True))
        for flag in ("by_email", "by_sms", "by_post", "in_app", "title"):
            batch_op.drop_column(flag)
    with op.batch_alter_table("contact") as batch_op:
        batch_op.alter_column("role", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("contact") as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=100), nullable=True))
        for flag in ("by_email", "by_sms", "by_post", "in_app"):
            batch_op.add_column(
                sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch_op.drop_column("postal_address")
        batch_op.drop_column("role")
    for channel, flag in FLAGS.items():
        op.execute(
            f"UPDATE contact SET {flag} = TRUE WHERE id IN "
            f"(SELECT contact_id FROM contact_channel WHERE channel = '{channel}')"
        )
    op.drop_table("notification")
    op.drop_table("contact_channel")
