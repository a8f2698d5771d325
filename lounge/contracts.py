"""Supply contracts of a customer's sites, with their status as of a date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Contract, Site, utcnow
from lounge import access, i18n, tariffs
from lounge.access import Viewer
from lounge.i18n import N_, _
from lounge.labels import VOLTAGES, label
from reports.documents import ReportColumn, ReportDocument, ReportSection

ACTIVE = "active"
ENDING = "ending"
ENDED = "ended"
UPCOMING = "upcoming"
STATUSES = {
    ACTIVE: N_("Active"),
    ENDING: N_("Ending within 90 days"),
    ENDED: N_("Ended"),
    UPCOMING: N_("Not started"),
}
#: A contract ending within this many days is flagged, so renewal is discussed in time.
ENDING_WITHIN_DAYS = 90


@dataclass(frozen=True)
class ContractRow:
    number: str
    site_id: str
    site_name: str
    region: str
    site_type: str | None
    tariff: str
    voltage_level: str
    capacity_kva: int
    supplier: str
    start_date: dt.date
    end_date: dt.date | None
    status: str


def status_of(start: dt.date, end: dt.date | None, today: dt.date) -> str:
    """``end`` is the last day of supply (inclusive); None means open-ended."""
    if start > today:
        return UPCOMING
    if end is not None and end < today:
        return ENDED
    if end is not None and (end - today).days <= ENDING_WITHIN_DAYS:
        return ENDING
    return ACTIVE


@dataclass(frozen=True)
class StatusCounts:
    """Contracts by status so that the tiles add up: ``total == active + upcoming + ended``.

    A contract ending within 90 days still supplies its site, so it counts as
    active; ``ending`` is the part of ``active`` that needs renewal soon.
    """

    total: int
    active: int
    ending: int
    upcoming: int
    ended: int


def count_statuses(rows: list[ContractRow]) -> StatusCounts:
    def count(*statuses: str) -> int:
        return sum(row.status in statuses for row in rows)

    return StatusCounts(
        total=len(rows),
        active=count(ACTIVE, ENDING),
        ending=count(ENDING),
        upcoming=count(UPCOMING),
        ended=count(ENDED),
    )


def contracts(
    session: Session, viewer: Viewer, customer_id: object, today: dt.date
) -> list[ContractRow]:
    """Every contract of every site of the customer, newest first within each site."""
    customer = access.get_commercial_customer(session, viewer, customer_id)
    rows = session.execute(
        access.restrict(
            select(Contract, Site)
            .join(Site, Site.id == Contract.site_id)
            .where(Site.customer_id == customer.id)
            .order_by(Site.id, Contract.start_date.desc()),
            viewer,
        )
    ).all()
    return [
        ContractRow(
            number=contract.number,
            site_id=site.id,
            site_name=site.name,
            region=site.region,
            site_type=site.site_type,
            tariff=contract.tariff,
            voltage_level=contract.voltage_level,
            capacity_kva=contract.capacity_kva,
            supplier=contract.supplier,
            start_date=contract.start_date,
            end_date=contract.end_date,
            status=status_of(contract.start_date, contract.end_date, today),
        )
        for contract, site in rows
    ]


def document(
    session: Session, viewer: Viewer, customer_id: object, today: dt.date, language: str
) -> ReportDocument:
    """The contracts as a report document, for the CSV and XLSX downloads."""
    customer = access.get_commercial_customer(session, viewer, customer_id)
    rows = contracts(session, viewer, customer.id, today)
    with i18n.use(language):
        columns = (
            ReportColumn("number", _("Contract")),
            ReportColumn("site", _("Site")),
            ReportColumn("tariff", _("Tariff")),
            ReportColumn("voltage", _("Voltage")),
            ReportColumn("capacity_kva", _("Capacity, kVA"), "number"),
            ReportColumn("supplier", _("Supplier")),
            ReportColumn("start", _("Start"), "date"),
            ReportColumn("end", _("End"), "date"),
            ReportColumn("status", _("Status")),
        )
        return ReportDocument(
            language=i18n.current(),
            kind="contracts",
            title=_("Contracts"),
            subtitle=f"{customer.name} · {customer.id} · {i18n.format_date(today)}",
            generated_at=utcnow(),
            sections=(
                ReportSection(
                    title=_("Contracts"),
                    columns=columns,
                    rows=tuple(
                        {
                            "number": row.number,
                            "site": f"{row.site_id} · {row.site_name}",
                            "tariff": tariffs.display_name(row.tariff),
                            "voltage": label(VOLTAGES, row.voltage_level),
                            "capacity_kva": row.capacity_kva,
                            "supplier": row.supplier,
                            "start": row.start_date,
                            "end": row.end_date,
                            "status": _(STATUSES[row.status]),
                        }
                        for row in rows
                    ),
                ),
            ),
        )
