"""Reports a client (or its account manager) can pick, as plain documents.

Each report is built once, as a :class:`reports.documents.ReportDocument` in
the reader's language, from the same domain calls the screens use (and so
through the same access checks). The screen, the PDF, the CSV and the XLSX
all render that one document, so their figures cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy.orm import Session

from db.models import BandSplit, utcnow
from lounge import access, billing, consumption, i18n, localtime, tou
from lounge.access import Viewer
from lounge.i18n import N_, _, format_month
from lounge.labels import BAND_SPLITS, REGIONS, SITE_TYPES, band_split_method, label
from reports.documents import Chart, ReportColumn, ReportDocument, ReportSection

KINDS = {
    "consumption": N_("Consumption by site and month"),
    "tou": N_("Time-of-use breakdown"),
    "yoy": N_("Year over year"),
    "billing": N_("Invoices and payments"),
    "debts": N_("Debts"),
}
GROUPINGS = {"": N_("No grouping"), "region": N_("By region"), "site_type": N_("By site type")}
#: The longest period a report covers (a bigger one is a data export, not a report).
MAX_MONTHS = 36

Grouping = Literal["", "region", "site_type"]


class ReportError(ValueError):
    """The report asked for cannot be made; the message says why."""


@dataclass(frozen=True)
class ReportRequest:
    """What the reader picked: a report of a customer over the months [first, end)."""

    kind: str
    customer_id: str
    first: dt.date
    end: dt.date
    group_by: Grouping = ""

    @classmethod
    def parse(
        cls, kind: object, customer_id: object, first: object, last: object, group_by: object = ""
    ) -> ReportRequest:
        """Check raw input (a form, a URL, the command line); months are ``YYYY-MM``."""
        if not isinstance(kind, str) or kind not in KINDS:
            raise ReportError(
                _("Unknown report '{kind}'; choose one of: {kinds}").format(
                    kind=kind, kinds=", ".join(KINDS)
                )
            )
        if not isinstance(group_by, str) or group_by not in GROUPINGS:
            raise ReportError(_("Unknown grouping '{value}'").format(value=group_by))
        start, stop = _month(first), _month(last)
        if start > stop:
            raise ReportError(_("The first month comes after the last one."))
        end = localtime.add_months(stop, 1)
        if (end.year - start.year) * 12 + end.month - start.month > MAX_MONTHS:
            raise ReportError(_("A report covers at most {count} months.").format(count=MAX_MONTHS))
        if not isinstance(customer_id, str) or not customer_id:
            raise access.NotFound(customer_id)
        return cls(str(kind), customer_id, start, end, group_by)  # type: ignore[arg-type]

    @property
    def last_month(self) -> dt.date:
        return localtime.add_months(self.end, -1)


#: Months a report may start and end in (a guard against typos such as 0202 or 9999).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _month(value: object) -> dt.date:
    try:
        month = dt.date.fromisoformat(f"{str(value)[:7]}-01")
    except ValueError:
        month = None
    if month is None or not FIRST_YEAR <= month.year <= LAST_YEAR:
        raise ReportError(_("'{value}' is not a month (YYYY-MM)").format(value=value))
    return month


def build(
    session: Session, viewer: Viewer, request: ReportRequest, language: str
) -> ReportDocument:
    """The report in ``language``; raises access errors for what the viewer may not see."""
    customer = access.get_customer(session, viewer, request.customer_id)
    with i18n.use(language):
        sections = _BUILDERS[request.kind](session, viewer, request)
        period = _("{first} to {last}").format(
            first=format_month(request.first), last=format_month(request.last_month)
        )
        return ReportDocument(
            language=i18n.current(),
            kind=request.kind,
            title=_(KINDS[request.kind]),
            subtitle=f"{customer.name} · {customer.id} · {period}",
            generated_at=utcnow(),
            sections=tuple(sections),
        )


def sections(session: Session, viewer: Viewer, request: ReportRequest) -> list[ReportSection]:
    """The sections of report ``request`` in the active language, for documents made of several
    reports (the meeting pack); the caller has checked the customer as :func:`build` does."""
    return _BUILDERS[request.kind](session, viewer, request)


# --- consumption ------------------------------------------------------------------------


def _group_of(row: pd.Series, group_by: Grouping) -> str:
    if group_by == "region":
        return label(REGIONS, row["region"])
    if group_by == "site_type":
        return label(SITE_TYPES, row["site_type"]) or _("Other")
    return ""


def _consumption(session: Session, viewer: Viewer, request: ReportRequest) -> list[ReportSection]:
    """Sites by month (a matrix), one section per group, then the totals of the groups.

    Every site's months come from one grouped query (:func:`consumption.site_shares`).
    """
    months = localtime.month_starts(request.first, request.last_month)
    sites = consumption.site_shares(
        session, viewer, request.customer_id, request.first, request.end
    )
    month_keys = [f"m{m:%Y%m}" for m in months]
    columns = (
        ReportColumn("site", _("Site")),
        *(
            ReportColumn(key, format_month(m), "kwh")
            for key, m in zip(month_keys, months, strict=True)
        ),
        ReportColumn("total", _("Total, kWh"), "kwh"),
    )
    rows_by_group: dict[str, list[dict[str, Any]]] = {}
    for _index, site in sites.sort_values("site_id").iterrows():
        energy = [int(site[month]) for month in months]
        row: dict[str, Any] = {"site": f"{site['site_id']} · {site['name']}"}
        row.update(zip(month_keys, energy, strict=True))
        row["total"] = sum(energy)
        rows_by_group.setdefault(_group_of(site, request.group_by), []).append(row)

    def totals(rows: list[dict[str, Any]], name: str | None) -> dict[str, Any]:
        result: dict[str, Any] = {"site": name}
        for key in [*month_keys, "total"]:
            result[key] = sum(row[key] for row in rows)
        return result

    sections = [
        ReportSection(
            title=group or _("All sites"),
            columns=columns,
            rows=tuple(rows),
            totals=totals(rows, None),
        )
        for group, rows in sorted(rows_by_group.items())
    ]
    if request.group_by:
        group_rows = [totals(rows, group) for group, rows in sorted(rows_by_group.items())]
        sections.append(
            ReportSection(
                title=_("Totals per group"),
                columns=(ReportColumn("site", _(GROUPINGS[request.group_by])), *columns[1:]),
                rows=tuple(group_rows),
                totals=totals(group_rows, None),
            )
        )
    return sections


def coverage_warning(found: consumption.Coverage) -> str | None:
    """What an interval cut leaves out, in words (None when it covers every site and kWh).

    One text for the screens and the reports, so both say it the same way.
    """
    if found.complete:
        return None
    return _(
        "Interval data cover {metered} of {sites} sites and {share} of their energy "
        "({metered_kwh} of {kwh}): figures by day, hour and time-of-use band leave "
        "the other sites out."
    ).format(
        metered=found.metered_sites,
        sites=found.sites,
        share=i18n.format_percent(found.share, 1),
        metered_kwh=i18n.format_kwh(found.metered_wh),
        kwh=i18n.format_kwh(found.wh),
    )


def _tou(session: Session, viewer: Viewer, request: ReportRequest) -> list[ReportSection]:
    return time_of_use_sections(session, viewer, request)


def time_of_use_sections(
    session: Session, viewer: Viewer, request: ReportRequest, by_site: bool = False
) -> list[ReportSection]:
    """The time-of-use report's section (bands by month); with ``by_site`` the bands of the
    whole period site by site after it (the meeting pack), from the same one read."""
    breakdown = consumption.time_of_use(
        session, viewer, request.customer_id, request.first, request.end
    )
    columns = _band_columns()
    keys = [column.key for column in columns[:-1]]
    rows = []
    for _index, month in breakdown.months.iterrows():
        row = {"month": month["month"], **{key: int(month[key]) for key in keys}}
        row["total"] = sum(row[key] for key in keys)
        rows.append(row)
    totals = {key: sum(r[key] for r in rows) for key in [*keys, "total"]}
    note = None
    if breakdown.unbanded_sites:
        note = _("Sites without interval data (billed by meter reads): {sites}").format(
            sites=", ".join(breakdown.unbanded_sites)
        )
    by_month = ReportSection(
        title=_("Energy by time-of-use band"),
        columns=(ReportColumn("month", _("Month"), "month"), *columns),
        rows=tuple(rows),
        totals=totals,
        chart=Chart(x="month", y=tuple(keys), stacked=True),
        note=note,
        warning=coverage_warning(breakdown.coverage),
    )
    return [by_month, _tou_by_site(breakdown, columns, note)] if by_site else [by_month]


#: The time-of-use chart of sites shows the largest ones.
TOU_CHART_SITES = 10


def _band_columns() -> tuple[ReportColumn, ...]:
    """The bands, the energy not metered by band, and the total (kWh)."""
    return (
        *(ReportColumn(band, _(tou.BAND_LABELS[band]), "kwh") for band in tou.BANDS),
        ReportColumn(consumption.UNBANDED, _(consumption.UNBANDED_LABEL), "kwh"),
        ReportColumn("total", _("Total, kWh"), "kwh"),
    )


def _tou_by_site(
    breakdown: consumption.TouBreakdown, columns: tuple[ReportColumn, ...], note: str | None
) -> ReportSection:
    """Each site's energy by band over the period, largest first; a site without interval
    data has no band figures, only its energy not metered by band."""
    rows = []
    for site in breakdown.sites.itertuples(index=False):
        row: dict[str, Any] = {"site": f"{site.site_id} · {site.name}", "site_id": site.site_id}
        for band in tou.BANDS:
            row[band] = int(getattr(site, band)) if site.metered else None
        row[consumption.UNBANDED] = int(getattr(site, consumption.UNBANDED))
        row["total"] = sum(row[band] or 0 for band in tou.BANDS) + row[consumption.UNBANDED]
        rows.append(row)
    rows.sort(key=lambda row: (-row["total"], row["site_id"]))
    keys = [column.key for column in columns]
    if len(rows) > TOU_CHART_SITES:
        largest = _("The chart shows the {count} largest sites.").format(count=TOU_CHART_SITES)
        note = f"{note} {largest}" if note else largest
    return ReportSection(
        title=_("Energy by site and time-of-use band"),
        columns=(ReportColumn("site", _("Site")), *columns),
        rows=tuple(rows),
        totals={key: sum(row[key] or 0 for row in rows) for key in keys},
        chart=Chart(x="site_id", y=tuple(keys[:-1]), stacked=True, rows=TOU_CHART_SITES),
        note=note,
    )


def _yoy(session: Session, viewer: Viewer, request: ReportRequest) -> list[ReportSection]:
    """Each month of the period beside the same month a year earlier.

    The totals compare the same months of both years (those with data so
    far), and the note names them.
    """
    found = consumption.year_over_year(
        session, viewer, request.customer_id, request.first, request.end
    )
    rows = [
        {
            "month": row.month,
            "wh": int(row.wh),
            "previous_wh": int(row.previous_wh),
            "change": (row.wh / row.previous_wh - 1) if row.compared and row.previous_wh else None,
        }
        for row in found.months.itertuples()
    ]
    columns = (
        ReportColumn("month", _("Month"), "month"),
        ReportColumn("wh", _("This period, kWh"), "kwh"),
        ReportColumn("previous_wh", _("A year earlier, kWh"), "kwh"),
        ReportColumn("change", _("Change"), "change"),
    )
    totals = {"wh": found.wh, "previous_wh": found.previous_wh, "change": found.change}
    if found.compared is None:
        note = _("No consumption in this period yet: nothing to compare.")
    else:
        note = _("Totals compare the same months of both years: {first} to {last}.").format(
            first=format_month(found.compared[0]), last=format_month(found.compared[1])
        )
    return [
        ReportSection(
            title=_("Year over year"),
            columns=columns,
            rows=tuple(rows),
            totals=totals,
            chart=Chart(x="month", y=("previous_wh", "wh")),
            note=note,
        )
    ]


# --- money ---------------------------------------------------------------------------------


def _money_total(rows: list[dict[str, Any]], key: str) -> Decimal:
    return sum((row[key] for row in rows), Decimal("0.00"))


def _billing(session: Session, viewer: Viewer, request: ReportRequest) -> list[ReportSection]:
    """Invoices issued and payments made in the period."""
    invoices = billing.list_invoices(
        session, viewer, customer_id=request.customer_id, issued=(request.first, request.end)
    )
    invoices.sort(key=lambda row: (row.issue_date, row.number))
    invoice_rows = [
        {
            "number": row.number,
            "site": row.site_id,
            "issued": row.issue_date,
            "due": row.due_date,
            "wh": row.wh,
            "total": row.total,
            "paid": row.paid,
            "open": row.open_amount,
            "status": _(billing.STATUSES[row.status]),
            "band_split": label(BAND_SPLITS, row.band_split),
        }
        for row in invoices
    ]
    payments = [
        row
        for row in billing.list_payments(session, viewer, customer_id=request.customer_id)
        if row.receipt_number and request.first <= localtime.local_day(row.created_at) < request.end
    ]
    payment_rows = [
        {
            "date": localtime.local_day(row.created_at),
            "receipt": row.receipt_number,
            "amount": row.amount,
            "invoices": ", ".join(row.invoice_numbers),
        }
        for row in reversed(payments)
    ]
    return [
        ReportSection(
            title=_("Invoices issued"),
            columns=(
                ReportColumn("number", _("Invoice")),
                ReportColumn("site", _("Site")),
                ReportColumn("issued", _("Issue date"), "date"),
                ReportColumn("due", _("Due date"), "date"),
                ReportColumn("wh", _("kWh"), "kwh"),
                ReportColumn("total", _("Total"), "money"),
                ReportColumn("paid", _("Paid"), "money"),
                ReportColumn("open", _("Open"), "money"),
                ReportColumn("status", _("Status")),
                ReportColumn("band_split", _("Time-of-use split")),
            ),
            rows=tuple(invoice_rows),
            note=band_split_method(BandSplit.TYPICAL)
            if any(row.band_split == BandSplit.TYPICAL for row in invoices)
            else None,
            totals={
                "wh": sum(r["wh"] for r in invoice_rows),
                **{key: _money_total(invoice_rows, key) for key in ("total", "paid", "open")},
            },
        ),
        ReportSection(
            title=_("Payments"),
            columns=(
                ReportColumn("date", _("Date"), "date"),
                ReportColumn("receipt", _("Receipt")),
                ReportColumn("amount", _("Amount"), "money"),
                ReportColumn("invoices", _("Invoices")),
            ),
            rows=tuple(payment_rows),
            totals={"amount": _money_total(payment_rows, "amount")},
        ),
    ]


def _debts(session: Session, viewer: Viewer, request: ReportRequest) -> list[ReportSection]:
    """Debts as of the end of the period (or today, if that is earlier)."""
    as_of = min(request.end - dt.timedelta(days=1), localtime.today())
    report = billing.debts(session, viewer, customer_id=request.customer_id, as_of=as_of)
    buckets = [(bucket, _(billing.BUCKET_LABELS[bucket])) for bucket in billing.AGING_BUCKETS]
    aging_columns = (
        ReportColumn("site", _("Site")),
        ReportColumn("not_due", _("Not yet due"), "money"),
        *(ReportColumn(bucket, text, "money") for bucket, text in buckets),
        ReportColumn("open", _("Open"), "money"),
    )

    def aging_row(name: str | None, aging: billing.Aging) -> dict[str, Any]:
        row: dict[str, Any] = {"site": name, "not_due": aging.not_due, "open": aging.open}
        row.update({bucket: aging.by_bucket[bucket] for bucket, _text in buckets})
        return row

    return [
        ReportSection(
            title=_("Debts by age on {date}").format(date=i18n.format_date(as_of)),
            columns=aging_columns,
            rows=tuple(aging_row(f"{t.key} · {t.name}", t.aging) for t in report.by_site),
            totals=aging_row(None, report.total),
        ),
        ReportSection(
            title=_("Open invoices"),
            columns=(
                ReportColumn("number", _("Invoice")),
                ReportColumn("site", _("Site")),
                ReportColumn("due", _("Due date"), "date"),
                ReportColumn("days", _("Days overdue"), "number"),
                ReportColumn("open", _("Open"), "money"),
            ),
            rows=tuple(
                {
                    "number": row.number,
                    "site": row.site_id,
                    "due": row.due_date,
                    "days": row.days_overdue,
                    "open": row.open_amount,
                }
                for row in report.rows
            ),
            totals={"open": report.total.open},
        ),
    ]


_BUILDERS: dict[str, Callable[[Session, Viewer, ReportRequest], list[ReportSection]]] = {
    "consumption": _consumption,
    "tou": _tou,
    "yoy": _yoy,
    "billing": _billing,
    "debts": _debts,
}
