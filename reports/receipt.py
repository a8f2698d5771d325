"""The receipt for one payment as a PDF: who paid, how much, how, and which invoices it settled."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from lounge import i18n
from lounge.i18n import N_, _
from lounge.labels import label
from reports import pdf, values
from reports.documents import ReceiptDocument

#: Payment methods as stored (unknown ones print as stored).
METHODS = {
    "card": N_("Credit card"),
    "bank_transfer": N_("Bank transfer"),
    "direct_debit": N_("Direct debit"),
}


def build_receipt(doc: ReceiptDocument) -> bytes:
    """The PDF bytes of the receipt, laid out in ``doc.language`` (mirrored in Hebrew)."""
    with i18n.use(doc.language):
        st = pdf.styles(pdf.reads_rtl(doc.language))
        number = pdf.embed(doc.receipt_number)
        page = pdf.Page(title=_("Receipt {number}").format(number=number), rtl=st.rtl)
        width = page.frame_width
        half = (width - 6 * mm) / 2
        story: list[Flowable] = [
            *pdf.company_header(_("Receipt"), [_("No. {number}").format(number=number)], width, st),
            pdf.side_by_side(
                pdf.boxed(pdf.field_grid(_customer(doc), half - 12, st), _("Customer"), half, st),
                pdf.boxed(pdf.field_grid(_payment(doc), half - 12, st), _("Payment"), half, st),
                width,
                st,
            ),
            Spacer(1, 6 * mm),
            pdf.text(_("Invoices settled by this payment"), st.heading, st.rtl),
            Spacer(1, 2 * mm),
            _allocations(doc, width, st),
            Spacer(1, 8 * mm),
            pdf.text(_("Thank you for your payment."), st.body, st.rtl),
        ]
        return pdf.render(story, page)


def _customer(doc: ReceiptDocument) -> list[tuple[str, str]]:
    return [
        (_("Name"), doc.customer.name),
        (_("Customer number"), doc.customer.customer_id),
        (_("Tax ID"), doc.customer.tax_id),
        (_("Address"), doc.customer.address or ""),
    ]


def _payment(doc: ReceiptDocument) -> list[tuple[str, str]]:
    return [
        (_("Receipt number"), doc.receipt_number),
        (_("Paid at"), i18n.format_datetime(doc.paid_at)),
        (_("Amount"), values.display(doc.amount, "money")),
        (_("Payment method"), label(METHODS, doc.method)),
        (_("Reference"), doc.provider_reference),
    ]


def _allocations(doc: ReceiptDocument, width: float, st: pdf.Styles) -> Flowable:
    columns = [
        pdf.Column(_("Invoice")),
        pdf.Column(_("Billing period")),
        pdf.Column(_("Amount"), numeric=True),
    ]
    rows = [
        [
            a.invoice_number,
            values.period(a.period_start, a.period_end),
            values.display(a.amount, "money"),
        ]
        for a in doc.allocations
    ]
    totals = [_("Total"), "", values.display(doc.amount, "money")]
    return pdf.data_table(columns, rows, width, st, totals=totals)
