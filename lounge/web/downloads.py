"""File downloads: bill copies, receipts and reports, each one an access-checked endpoint.

Links are plain GET routes, so a browser can open or save them; who may have
which file is decided by the domain call that builds the document, exactly as
for the screens. Whatever the reason a file cannot be had (another customer's
id, a payment that failed, no such thing), the answer is 404.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, request, send_file

from lounge import (
    access,
    bill_comparison,
    billing,
    contracts,
    exports,
    i18n,
    localtime,
    meeting_pack,
    meetings,
    membership,
    reporting,
)
from lounge.demand import baseline
from lounge.demand import report as reduction_report
from lounge.notify import letters, status
from lounge.requests import attachments
from lounge.surveys import results
from lounge.web.context import attachment_store, db_session, viewer
from reports.bill import build_bill
from reports.documents import ReportDocument
from reports.receipt import build_receipt
from reports.report import build_report

blueprint = Blueprint("downloads", __name__)

PDF = "application/pdf"


def _file(data: bytes, name: str, mimetype: str) -> Response:
    """An attachment; Werkzeug encodes any file name (ids may be Hebrew) per RFC 6266."""
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _guarded(build: Callable[[], tuple[bytes, str, str]]) -> Response:
    try:
        data, name, mimetype = build()
    except (access.AccessDenied, billing.BillingError):
        abort(404)
    except (reporting.ReportError, baseline.NotMeasured) as error:
        return Response(str(error), status=400, mimetype="text/plain")
    return _file(data, name, mimetype)


@blueprint.get("/download/bill/<invoice_id>.pdf")
def bill(invoice_id: str) -> Any:
    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            document = billing.bill_document(db, viewer(), invoice_id)
        return build_bill(document), f"bill-{document.number}.pdf", PDF

    return _guarded(build)


@blueprint.get("/download/receipt/<payment_id>.pdf")
def receipt(payment_id: str) -> Any:
    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            document = billing.receipt_document(db, viewer(), payment_id)
        return build_receipt(document), f"receipt-{document.receipt_number}.pdf", PDF

    return _guarded(build)


@blueprint.get("/download/bill-comparison.pdf")
def bill_comparison_file() -> Any:
    """Two invoices compared by cause (``a`` and ``b`` are their ids), in the reader's language."""
    first, second = request.args.get("a"), request.args.get("b")

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            document = bill_comparison.document(db, viewer(), first, second, i18n.current())
        return build_report(document), f"bill-comparison-{first}-{second}.pdf", PDF

    return _guarded(build)


#: Report formats: (builder, file extension, MIME type).
REPORT_FORMATS: dict[str, tuple[Callable[[ReportDocument], bytes], str]] = {
    "pdf": (build_report, PDF),
    "csv": (exports.to_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        exports.to_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


def report_href(wanted: reporting.ReportRequest, fmt: str) -> str:
    query = urlencode(
        {
            "kind": wanted.kind,
            "customer": wanted.customer_id,
            "from": f"{wanted.first:%Y-%m}",
            "to": f"{wanted.last_month:%Y-%m}",
            "group": wanted.group_by,
        }
    )
    return f"/download/report.{fmt}?{query}"


@blueprint.get("/download/report.<fmt>")
def report(fmt: str) -> Any:
    """The report the page shows, rebuilt from the same request: the same figures."""
    if fmt not in REPORT_FORMATS:
        abort(404)
    args = request.args

    def build() -> tuple[bytes, str, str]:
        wanted = reporting.ReportRequest.parse(
            args.get("kind"),
            args.get("customer"),
            args.get("from"),
            args.get("to"),
            args.get("group", ""),
        )
        with db_session() as db:
            document = reporting.build(db, viewer(), wanted, i18n.current())
        render, mimetype = REPORT_FORMATS[fmt]
        name = f"{wanted.kind}-{wanted.customer_id}-{wanted.first:%Y%m}-{wanted.last_month:%Y%m}"
        return render(document), f"{name}.{fmt}", mimetype

    return _guarded(build)


@blueprint.get("/download/contracts.<fmt>")
def contracts_file(fmt: str) -> Any:
    """The customer's contracts as CSV or XLSX (the PDF reports cover the rest)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    customer_id = request.args.get("customer")

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            you = viewer()
            wanted = customer_id or access.home_customer(you)
            document = contracts.document(db, you, wanted, localtime.today(), i18n.current())
        render, mimetype = REPORT_FORMATS[fmt]
        return render(document), f"contracts-{wanted}.{fmt}", mimetype

    return _guarded(build)


@blueprint.get("/download/portfolio.<fmt>")
def portfolio_file(fmt: str) -> Any:
    """The account manager's portfolio (an admin's: every customer) as CSV, XLSX or PDF."""
    if fmt not in REPORT_FORMATS:
        abort(404)

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            document = membership.document(db, viewer(), i18n.current())
        render, mimetype = REPORT_FORMATS[fmt]
        return render(document), f"portfolio-{localtime.today():%Y%m%d}.{fmt}", mimetype

    return _guarded(build)


@blueprint.get("/download/surveys.<fmt>")
def surveys_file(fmt: str) -> Any:
    """The survey results and answers the viewer may read (managers: the portfolio's)."""
    if fmt not in REPORT_FORMATS:
        abort(404)

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            document = results.document(db, viewer(), i18n.current())
        render, mimetype = REPORT_FORMATS[fmt]
        return render(document), f"surveys-{localtime.today():%Y%m%d}.{fmt}", mimetype

    return _guarded(build)


def load_reduction_href(notice_id: int, fmt: str) -> str:
    return f"/download/load-reduction/{notice_id}.{fmt}"


@blueprint.get("/download/load-reduction/<notice_id>.<fmt>")
def load_reduction_file(notice_id: str, fmt: str) -> Any:
    """The measured load reduction of an event, for the sites the viewer may see."""
    if fmt not in REPORT_FORMATS:
        abort(404)

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            document = reduction_report.document(db, viewer(), notice_id, i18n.current())
        render, mimetype = REPORT_FORMATS[fmt]
        return render(document), f"load-reduction-{notice_id}.{fmt}", mimetype

    return _guarded(build)


@blueprint.get("/download/letters.pdf")
def letters_file() -> Any:
    """The waiting letters ``ids`` (comma-separated) the viewer may print, one a page."""
    ids = request.args.get("ids", "").split(",")

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            data = letters.batch_pdf(db, viewer(), ids)
        return data, f"letters-{localtime.today():%Y%m%d}.pdf", PDF

    return _guarded(build)


@blueprint.get("/download/meeting/<meeting_id>.ics")
def meeting_file(meeting_id: str) -> Any:
    """A meeting's calendar entry, for its customer and the staff who plan its meetings."""

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            data = meetings.ics(db, viewer(), meeting_id)
        return data, f"meeting-{meeting_id}.ics", "text/calendar; charset=utf-8"

    return _guarded(build)


def meeting_pack_href(customer_id: str) -> str:
    return f"/download/meeting-pack/{customer_id}.pdf"


@blueprint.get("/download/meeting-pack/<customer_id>.pdf")
def meeting_pack_file(customer_id: str) -> Any:
    """A customer's meeting pack, in the customer's language, for its manager or an admin."""

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            customer = access.get_customer(db, viewer(), customer_id)
            data = meeting_pack.pdf(db, viewer(), customer_id, localtime.today())
            name = meeting_pack.filename(customer)
        return data, name, PDF

    return _guarded(build)


@blueprint.get("/download/request/<request_id>/attachment/<attachment_id>")
def request_attachment(request_id: str, attachment_id: str) -> Any:
    """A file attached to a request, for whoever may see the request (else 404)."""

    def build() -> tuple[bytes, str, str]:
        folder, _limit = attachment_store()
        with db_session() as db:
            return attachments.read(db, viewer(), request_id, attachment_id, folder)

    return _guarded(build)


@blueprint.get("/download/notification/<notification_id>.pdf")
def notification_file(notification_id: str) -> Any:
    """A message's PDF for staff: the letter as printed, or the e-mail's attachment."""

    def build() -> tuple[bytes, str, str]:
        with db_session() as db:
            data, name = status.pdf(db, viewer(), notification_id)
        return data, name, PDF

    return _guarded(build)


def init_downloads(server: Flask) -> None:
    server.register_blueprint(blueprint)
