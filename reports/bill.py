"""A copy of one invoice as a PDF, in the customer's language.

Company header, customer / invoice / site panels, the charge lines, the totals
(subtotal, VAT, total, paid, open) and thirteen months of the site's consumption.
"""

from __future__ import annotations

from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from lounge import i18n
from lounge.i18n import N_, _
from lounge.labels import band_split_method, label
from reports import pdf, values
from reports.documents import BillDocument, BillLine

#: What each kind of charge line is called on the bill.
LINE_KINDS = {
    "energy_peak": N_("Energy, peak"),
    "energy_shoulder": N_("Energy, shoulder"),
    "energy_offpeak": N_("Energy, off-peak"),
    "energy": N_("Energy"),
    "fixed": N_("Fixed charge"),
    "capacity": N_("Capacity charge"),
}
UNITS = {"kWh": N_("kWh"), "kVA": N_("kVA"), "month": N_("month")}
#: The most decimals a unit price shows (prices are kept to the millionth of a shekel).
PRICE_DECIMALS = 6
CHART_HEIGHT = 52 * mm


def build_bill(doc: BillDocument) -> bytes:
    """The PDF bytes of the bill copy, laid out in ``doc.language`` (mirrored in Hebrew)."""
    with i18n.use(doc.language):
        st = pdf.styles(pdf.reads_rtl(doc.language))
        title = _("Invoice {number}").format(number=pdf.embed(doc.number))
        page = pdf.Page(title=title, rtl=st.rtl)
        width = page.frame_width
        story: list[Flowable] = [
            *pdf.company_header(
                _("Invoice copy"),
                [_("No. {number}").format(number=pdf.embed(doc.number))],
                width,
                st,
            ),
            *_panels(doc, width, st),
            Spacer(1, 5 * mm),
            _lines_table(doc.lines, width, st),
            *_split_notes(doc.lines, st),
            Spacer(1, 3 * mm),
            pdf.amounts_block(_amounts(doc), width * 0.5, st),
            *_consumption_chart(doc, width, st),
        ]
        return pdf.render(story, page)


def status(doc: BillDocument) -> str:
    """Where the invoice stands, from what is paid of it (a cancelled one says so)."""
    if doc.status == "cancelled":
        return _("Cancelled")
    if doc.open_amount <= 0:
        return _("Paid")
    if doc.paid > 0:
        return _("Partly paid")
    return _("Unpaid")


def _panels(doc: BillDocument, width: float, st: pdf.Styles) -> list[Flowable]:
    half = (width - 6 * mm) / 2
    customer = [
        (_("Name"), doc.customer.name),
        (_("Customer number"), doc.customer.customer_id),
        (_("Tax ID"), doc.customer.tax_id),
        (_("Address"), doc.customer.address or ""),
    ]
    invoice = [
        (_("Invoice number"), doc.number),
        (_("Issue date"), i18n.format_date(doc.issue_date)),
        (_("Due date"), i18n.format_date(doc.due_date)),
        (_("Billing period"), values.period(doc.period_start, doc.period_end)),
        (_("Status"), status(doc)),
    ]
    site = [
        (_("Site"), f"{doc.site_name} ({doc.site_id})"),
        (_("Site address"), doc.site_address or ""),
        (_("Contract"), doc.contract_number),
        (_("Tariff"), doc.tariff),
        (_("Meter"), doc.meter_number or ""),
    ]
    inner = half - 12
    return [
        pdf.side_by_side(
            pdf.boxed(pdf.field_grid(customer, inner, st), _("Customer"), half, st),
            pdf.boxed(pdf.field_grid(invoice, inner, st), _("Invoice"), half, st),
            width,
            st,
        ),
        Spacer(1, 3 * mm),
        pdf.boxed(
            pdf.field_grid(site, width - 12, st, label_share=0.2), _("Site and contract"), width, st
        ),
    ]


def _lines_table(lines: tuple[BillLine, ...], width: float, st: pdf.Styles) -> Flowable:
    columns = [
        pdf.Column(_("Charge")),
        pdf.Column(_("Quantity"), numeric=True),
        pdf.Column(_("Unit")),
        pdf.Column(_("Unit price (₪)"), numeric=True),
        pdf.Column(_("Amount"), numeric=True),
    ]
    rows = [
        [
            _charge(line),
            values.quantity(line.quantity),
            label(UNITS, line.unit),
            i18n.format_number(
                line.unit_price, values.decimal_places(line.unit_price, 2, PRICE_DECIMALS)
            ),
            values.display(line.amount, "money"),
        ]
        for line in lines
    ]
    return pdf.data_table(columns, rows, width, st)


def _charge(line: BillLine) -> str:
    """The charge's name; an estimated band split says so on its own line of the bill."""
    name = label(LINE_KINDS, line.kind)
    return _("{charge} (estimated)").format(charge=name) if line.band_split == "typical" else name


def _split_notes(lines: tuple[BillLine, ...], st: pdf.Styles) -> list[Flowable]:
    """How the time-of-use split of the energy lines was made, measured or estimated."""
    splits = sorted({line.band_split for line in lines if line.band_split})
    return [pdf.text(band_split_method(split), st.small, st.rtl) for split in splits]


def _amounts(doc: BillDocument) -> list[tuple[str, str, bool]]:
    rate = i18n.format_percent(float(doc.vat_rate), values.decimal_places(doc.vat_rate * 100, 0, 2))
    return [
        (_("Subtotal"), _money(doc.subtotal), False),
        (_("VAT {rate}").format(rate=pdf.embed(rate)), _money(doc.vat), False),
        (_("Total"), _money(doc.total), True),
        (_("Paid"), _money(doc.paid), False),
        (_("Amount due"), _money(doc.open_amount), True),
    ]


def _money(amount: Decimal) -> str:
    return values.display(amount, "money")


def _consumption_chart(doc: BillDocument, width: float, st: pdf.Styles) -> list[Flowable]:
    """The site's last 13 months as bars, the billed months in the accent colour."""
    if not doc.history:
        return []
    months = [month for month, _wh in doc.history]
    data = pdf.ChartData(
        categories=[i18n.format_month(month).replace(" ", "\n") for month in months],
        series=[[values.chart_number(wh, "kwh") for _month, wh in doc.history]],
        highlight=frozenset(
            i for i, month in enumerate(months) if doc.period_start <= month < doc.period_end
        ),
    )
    chart = pdf.bar_chart(data, width, CHART_HEIGHT, st, _kwh_axis_label)
    title = _("Consumption in the last 13 months, kWh")
    return [Spacer(1, 6 * mm), KeepTogether([pdf.chart_title(title, width, st), chart])]


def _kwh_axis_label(value: float) -> str:
    return i18n.format_number(Decimal(round(value)))
