"""Imports: CSV (and Green Button) readers with per-row validation; all or nothing."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from db.models import (
    ConsumptionDaily,
    ConsumptionMonthly,
    Contact,
    ContactChannel,
    Customer,
    Reading,
    Site,
)
from db.session import refresh_statistics
from lounge import audit
from lounge.ingest.contacts import import_contacts
from lounge.ingest.greenbutton import KIND as GREENBUTTON
from lounge.ingest.greenbutton import import_greenbutton
from lounge.ingest.readings import import_readings
from lounge.ingest.registry import import_customers, import_sites
from lounge.ingest.summary import ImportSummary

Importer = Callable[[Session, bytes, str, str], ImportSummary]

#: CSV files, which name the site of every row.
IMPORTERS: dict[str, Importer] = {
    "customers": import_customers,
    "sites": import_sites,
    "readings": import_readings,
    "contacts": import_contacts,
}
_READINGS = (Reading, ConsumptionDaily, ConsumptionMonthly)
#: The tables an import of each kind fills (their planner statistics are refreshed after it).
TABLES = {
    "customers": (Customer,),
    "sites": (Site,),
    "readings": _READINGS,
    "contacts": (Contact, ContactChannel),
    GREENBUTTON: _READINGS,
}
#: Every kind of file; a Green Button file names no site of ours, so it is
#: imported for a site given with it.
KINDS = (*IMPORTERS, GREENBUTTON)


def import_file(
    session: Session,
    kind: str,
    data: bytes,
    filename: str,
    actor: str,
    site_id: str | None = None,
) -> ImportSummary:
    """Import one file of ``kind``; raises ImportRejected (and changes nothing) on any bad row.

    ``site_id`` is the site a Green Button file is for; only that kind takes one.
    """
    if (kind == GREENBUTTON) != (site_id is not None):
        raise ValueError(f"a site_id is required for {GREENBUTTON} files and only for them")
    if site_id is not None:
        summary = import_greenbutton(session, data, filename, actor, site_id)
    else:
        summary = IMPORTERS[kind](session, data, filename, actor)
    audit.record(
        session,
        actor,
        f"import.{kind}",
        filename,
        **({"site": site_id} if site_id is not None else {}),
        rows=summary.rows,
        inserted=summary.inserted,
        replaced=summary.replaced,
        unchanged=summary.unchanged,
    )
    refresh_statistics(session, *(model.__tablename__ for model in TABLES[kind]))
    return summary
