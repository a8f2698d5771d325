"""how each time-of-use energy line was split: measured or estimated

Lines of sites without interval data carried a typical 17/31/52 % split that
read as if measured. ``invoice_line.band_split`` now says which it is. The
existing lines are filled from the data the split was made from: a site with
interval data (daily rollup rows) in the invoice's period had its split
measured, any other one estimated.

Revision ID: 0005
Revises: 0004_sign_in_throttle
Create Date: 2026-12-02 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004_sign_in_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_BAND_SPLIT = """
UPDATE invoice_line SET band_split = CASE WHEN EXISTS (
    SELECT 1 FROM invoice JOIN consumption_daily AS daily ON daily.site_id = invoice.site_id
    WHERE invoice.id = invoice_line.invoice_id
      AND daily.day >= invoice.period_start AND daily.day < invoice.period_end
) THEN 'interval' ELSE 'typical' END
WHERE kind IN ('energy_peak', 'energy_shoulder', 'energy_offpeak')
"""


def upgrade() -> None:
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("band_split", sa.String(length=20), nullable=True))
    op.execute(FILL_BAND_SPLIT)


def downgrade() -> None:
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_column("band_split")
