"""quarter-hour profile in the daily rollup

Each daily row gets the day's energy per quarter hour (``quarter_wh``), so that
the coincident peak of a group sums a few thousand profiles instead of grouping
every raw reading. The rows already there are filled here from the readings,
site by site in batches (the same cut as an import makes), so an upgraded
database needs no rebuild.

Revision ID: 0007_quarter_hour_profile
Revises: 0006 (notifications)
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lounge import localtime, rollups

revision: str = "0007_quarter_hour_profile"
down_revision: str | None = "0006"  # the notifications revision
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The table as this revision leaves it (not the models, which may move on).
DAILY = sa.table(
    "consumption_daily",
    sa.column("site_id", sa.String),
    sa.column("day", sa.Date),
    sa.column("quarter_wh", sa.LargeBinary),
)
READING = sa.table(
    "reading",
    sa.column("site_id", sa.String),
    sa.column("start_s", sa.BigInteger),
    sa.column("end_s", sa.BigInteger),
)


def fill_quarter_profiles(connection: sa.Connection) -> None:
    """Give every daily row its quarter-hour profile, cut from its site's readings."""
    with_days = sa.select(DAILY.c.site_id).distinct()
    spans = [
        (site, count, low, high)
        for site, count, low, high in connection.execute(
            sa.select(
                READING.c.site_id,
                sa.func.count(),
                sa.func.min(READING.c.start_s),
                sa.func.max(READING.c.end_s),
            )
            .where(READING.c.site_id.in_(with_days))
            .group_by(READING.c.site_id)
            .order_by(READING.c.site_id)
        )
    ]
    update = (
        sa.update(DAILY)
        .where(DAILY.c.site_id == sa.bindparam("key_site"), DAILY.c.day == sa.bindparam("key_day"))
        .values(quarter_wh=sa.bindparam("profile"))
    )
    for batch in rollups.reading_batches(spans, rollups.REBUILD_BATCH_READINGS):
        low = min(span[2] for span in batch)
        high = max(span[3] for span in batch)
        readings = rollups.load_readings(connection, [span[0] for span in batch], low, high)
        first = localtime.first_of_month(localtime.local_date(low))
        end = localtime.add_months(localtime.first_of_month(localtime.local_date(high - 1)), 1)
        daily = rollups.compute(readings, first, end).daily
        if len(daily):
            connection.execute(
                update,
                [
                    {"key_site": site, "key_day": day, "profile": profile}
                    for site, day, profile in zip(
                        daily["site_id"], daily["day"], daily["quarter_wh"], strict=True
                    )
                ],
            )


def upgrade() -> None:
    with op.batch_alter_table("consumption_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quarter_wh", sa.LargeBinary(), nullable=True))
    fill_quarter_profiles(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("consumption_daily", schema=None) as batch_op:
        batch_op.drop_column("quarter_wh")
