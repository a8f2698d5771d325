"""rolling twelve-month energy in the monthly rollup

Each monthly rollup row gets the site's energy over the 12 months ending with
it (``rolling_wh``), each site its first and last month with readings, and
the rollup a row for every month in between (zero in gaps), so that the
classification reads one row per site. The existing rows are filled here, in
SQL on the server: an upgraded database classifies right without a rebuild.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:25:06.480621
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Until now every rollup row was a month with readings: its site's span is the
#: first and last of them.
FILL_SPANS = """
UPDATE site SET
    first_data_month = (SELECT min(month) FROM consumption_monthly WHERE site_id = site.id),
    last_data_month = (SELECT max(month) FROM consumption_monthly WHERE site_id = site.id)
"""

#: A zero row for every month of a span without one ({next_month}: the dialect's
#: first of the following month).
FILL_GAPS = """
WITH RECURSIVE span (site_id, month, last_month) AS (
    SELECT id, first_data_month, last_data_month FROM site
    WHERE first_data_month < last_data_month
    UNION ALL
    SELECT site_id, {next_month}, last_month FROM span WHERE month < last_month
)
INSERT INTO consumption_monthly (site_id, month, wh, estimated_wh)
SELECT site_id, month, 0, 0 FROM span
WHERE NOT EXISTS (
    SELECT 1 FROM consumption_monthly AS c WHERE c.site_id = span.site_id AND c.month = span.month
)
"""

NEXT_MONTH = {
    "sqlite": "date(month, '+1 month')",
    "postgresql": "CAST(month + INTERVAL '1 month' AS DATE)",
}

#: With every month of a span present, the 12 months ending with a row are that
#: row and the 11 rows before it.
FILL_ROLLING = """
UPDATE consumption_monthly SET rolling_wh = rolling.wh
FROM (
    SELECT site_id, month, sum(wh) OVER (
        PARTITION BY site_id ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW
    ) AS wh
    FROM consumption_monthly
) AS rolling
WHERE rolling.site_id = consumption_monthly.site_id AND rolling.month = consumption_monthly.month
"""


def upgrade() -> None:
    with op.batch_alter_table("consumption_monthly", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rolling_wh", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_data_month", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("last_data_month", sa.Date(), nullable=True))

    op.execute(FILL_SPANS)
    op.execute(FILL_GAPS.format(next_month=NEXT_MONTH[op.get_bind().dialect.name]))
    op.execute(FILL_ROLLING)

    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_last_data_month"), ["last_data_month"], unique=False
        )

    with op.batch_alter_table("consumption_monthly", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consumption_monthly_month",
            ["month", "site_id", "rolling_wh"],
            unique=False,
            sqlite_where=sa.text("rolling_wh IS NOT NULL"),
            postgresql_where=sa.text("rolling_wh IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_last_data_month"))
        batch_op.drop_column("last_data_month")
        batch_op.drop_column("first_data_month")

    with op.batch_alter_table("consumption_monthly", schema=None) as batch_op:
        batch_op.drop_index("ix_consumption_monthly_month")
        batch_op.drop_column("rolling_wh")

    # the zero rows of gaps stay: they add nothing to any sum
