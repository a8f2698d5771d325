"""The outcome of an accepted import, and its record in ``import_batch``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.models import ImportBatch
from lounge.i18n import _


@dataclass
class ImportSummary:
    kind: str
    filename: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int

    def __str__(self) -> str:
        return _(
            "{file}: {rows} rows, {inserted} new, {replaced} updated, {unchanged} unchanged"
        ).format(
            file=self.filename,
            rows=self.rows,
            inserted=self.inserted,
            replaced=self.replaced,
            unchanged=self.unchanged,
        )


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
