"""The outcome of an accepted import, and its record in ``import_batch``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.models import ImportBatch
from lounge.i18n import _, ngettext


@dataclass
class ImportSummary:
    kind: str
    filename: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int
    #: Readings are kept in whole Wh: how many values were finer than that, and
    #: what rounding them added to the file's total (Wh, negative when it took away).
    finer_than_wh: int = 0
    rounding_wh: float = 0.0

    def __str__(self) -> str:
        text = _(
            "{file}: {rows} rows, {inserted} new, {replaced} updated, {unchanged} unchanged"
        ).format(
            file=self.filename,
            rows=self.rows,
            inserted=self.inserted,
            replaced=self.replaced,
            unchanged=self.unchanged,
        )
        if not self.finer_than_wh:
            return text
        rounded = ngettext(
            "{count} value was finer than 1 Wh; rounding to whole Wh changed the total "
            "by {change} Wh",
            "{count} values were finer than 1 Wh; rounding to whole Wh changed the total "
            "by {change} Wh",
            self.finer_than_wh,
        ).format(count=self.finer_than_wh, change=f"{self.rounding_wh:+.3f}")
        return f"{text}; {rounded}"


def record_batch(session: Session, summary: ImportSummary, actor: str) -> ImportBatch:
    batch = ImportBatch(
        kind=summary.kind,
        filename=summary.filename,
        rows=summary.rows,
        inserted=summary.inserted,
        replaced=summary.replaced,
        unchanged=summary.unchanged,
        actor=actor,
    )
    session.add(batch)
    session.flush()
    return batch
