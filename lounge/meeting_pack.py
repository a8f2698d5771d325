"""The meeting pack: one customer's year on paper, for the annual meeting with its manager.

One plain :class:`~reports.documents.ReportDocument` in the customer's language (the PDF is
:func:`reports.report.build_report`'s), made of the sections the lounge already builds for its
screens and reports, read through the viewer like them:

membership and why (the welcome letter's table, :mod:`lounge.notify.attachments`), the forecast,
consumption of the year by site, by time-of-use band and year over year (the reports'
sections, :mod:`lounge.reporting`), contracts ending within a year, invoices by month and debts,
the bill comparison of the largest contract, requests and faults with their SLA, notices with
the customer's acknowledgement and the measured load reduction of its sites, and the action
items of the previous meeting with their state.

"The year" is the 12 complete months before ``today``'s month (the lounge's window), for
consumption, invoices, requests and notices alike. Each kind of fact is one read (or two) for
the whole customer, never one per site, so a pack of a 40-site chain takes a fraction of a
second (``benchmarks/meeting_pack.py``).

Who: the pack is the manager's preparation for the meeting, so account managers (for their
portfolio) and administrators build it; a client, the fault desk and demand staff get
:class:`~lounge.access.AccessDenied`. The portfolio's packs are one ZIP (:func:`portfolio_zip`),
built in a background job.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    Customer,
    Invoice,
    InvoiceStatus,
    ManagerAssignment,
    MeetingState,
    NoticeKind,
    User,
    utcnow,
)
from lounge import (
    access,
    bill_comparison,
    billing,
    consumption,
    contracts,
    forecast,
    i18n,
    localtime,
    meetings,
    membership,
    reporting,
)
from lounge.access import Viewer
from lounge.classification import SITE_THRESHOLD_WH, TOTAL_THRESHOLD_WH
from lounge.company import COMPANY
from lounge.demand import acknowledgements, baseline
from lounge.demand import report as reduction_report
from lounge.i18n import _, format_date, format_kwh, format_month
from lounge.labels import (
    ACTION_OWNERS,
    NOTICE_STATES,
    REGIONS,
    RULES,
    label,
    notice_title,
)
from lounge.notify import attachments
from lounge.notify import demand as notice_text
from lounge.requests import kinds, sla, workflow
from lounge.settings import TIMEZONE
from reports.documents import Chart, ReportColumn, ReportDocument, ReportSection
from reports.report import build_report

#: Who builds packs: the manager (the portfolio's) and administrators (any customer's).
BUILDERS = access.PORTFOLIO_ROLES
#: Contracts ending within this many days are listed, so renewal is on the agenda.
ENDING_WITHIN_DAYS = 365
#: Classification months of real figures shown before the forecast's projected ones.
FORECAST_HISTORY = 6


@dataclass(frozen=True)
class Year:
    """The pack's year: for consumption and invoices the months [first, end), the 12 complete
    ones before ``today``'s; for requests and notices the 12 months up to the end of ``today``
    (what happened last week is on the meeting's agenda too)."""

    today: dt.date
    first: dt.date
    end: dt.date

    @classmethod
    def before(cls, today: dt.date) -> Year:
        end = localtime.first_of_month(today)
        return cls(today, localtime.add_months(end, -12), end)

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(localtime.one_year_before(self.today), dt.time(), TIMEZONE)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.today + dt.timedelta(days=1), dt.time(), TIMEZONE)

    def holds(self, instant: dt.datetime) -> bool:
        return self.since <= instant < self.until


def build(
    session: Session,
    viewer: Viewer,
    customer_id: object,
    today: dt.date,
    language: str | None = None,
) -> ReportDocument:
    """The pack of ``customer_id`` in ``language`` (default: the customer's own)."""
    access.require(viewer, *BUILDERS)
    customer = access.get_customer(session, viewer, customer_id)
    year = Year.before(today)
    with i18n.use(i18n.normalize(language or customer.language)):
        period = _("{first} to {last}").format(
            first=format_month(year.first), last=format_month(localtime.add_months(year.end, -1))
        )
        sections: list[ReportSection] = []
        for part in PARTS:
            sections += part(session, viewer, customer, year)
        return ReportDocument(
            language=i18n.current(),
            kind="meeting_pack",
            title=_("Meeting pack"),
            subtitle=f"{customer.name} · {customer.id} · {period}",
            generated_at=utcnow(),
            sections=tuple(sections),
        )


def pdf(session: Session, viewer: Viewer, customer_id: object, today: dt.date) -> bytes:
    """The pack as a PDF, in the customer's language."""
    return build_report(build(session, viewer, customer_id, today))


def filename(customer: Customer) -> str:
    """``C10001 Shefa Supermarkets Ltd.pdf``: the customer's id and name, safe in any archive."""
    name = re.sub(r"[^\w\- .,&'\"()]+", "_", f"{customer.id} {customer.name}").strip(" .")
    return f"{name}.pdf"


# --- the parts ---------------------------------------------------------------------------


Part = Callable[[Session, Viewer, Customer, "Year"], list[ReportSection]]


def _manager_name(session: Session, customer: Customer) -> str:
    manager = session.scalar(
        select(User)
        .join(ManagerAssignment, ManagerAssignment.manager_id == User.id)
        .where(ManagerAssignment.customer_id == customer.id)
    )
    return (manager.full_name or manager.email) if manager else _("the lounge team")


def _membership(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """The welcome letter's "why" table (or the farewell's), with today's figures."""
    found = membership.membership(session, viewer, customer.id)
    figures = found.figures
    since = found.since
    if not found.is_vip:
        exits = [
            e for e, _name in membership.events(session, viewer, customer.id) if e.event == "exit"
        ]
        since = exits[-1].effective_date if exits else None
    gap = min(SITE_THRESHOLD_WH - figures.max_site_wh, TOTAL_THRESHOLD_WH - figures.total_wh)
    facts = {
        "customer": customer.name,
        "company": _(COMPANY.name),
        "manager": _manager_name(session, customer),
        "reason": label(RULES, found.rule),
        "window_end": format_date(found.window.last_day),
        "effective": format_date(since) if since else "–",
        "total": format_kwh(figures.total_wh),
        "largest": format_kwh(figures.max_site_wh),
        "site_threshold": format_kwh(SITE_THRESHOLD_WH),
        "total_threshold": format_kwh(TOTAL_THRESHOLD_WH),
        "gap": format_kwh(max(gap, 0)),
    }
    kind = "welcome" if found.is_vip else "farewell"
    letter = attachments.membership_document(kind, i18n.current(), facts, utcnow())
    return [letter.sections[0]]


def _forecast(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """The rolling 12-month figures: the last months as they were, then as projected."""
    found = forecast.forecast(session, viewer, customer.id, year.end)
    if found is None:
        return []
    real = zip(
        found.history_months[-FORECAST_HISTORY:], found.history[-FORECAST_HISTORY:], strict=True
    )
    ahead = zip(found.months, found.projected, strict=True)
    rows = [
        {
            "month": month,
            "kind": what,
            "total_wh": figures.total_wh,
            "max_site_wh": figures.max_site_wh,
            "status": _("Member") if figures.is_vip else _("Not a member"),
        }
        for months, what in ((real, _("Measured")), (ahead, _("Projected")))
        for month, figures in months
    ]
    return [
        ReportSection(
            title=_("Forecast of membership"),
            columns=(
                ReportColumn("month", _("Classification month"), "month"),
                ReportColumn("kind", _("Figures")),
                ReportColumn("total_wh", _("All sites, 12 months, kWh"), "kwh"),
                ReportColumn("max_site_wh", _("Biggest site, 12 months, kWh"), "kwh"),
                ReportColumn("status", _("Status")),
            ),
            rows=tuple(rows),
            chart=Chart(x="month", y=("total_wh", "max_site_wh")),
            warning=forecast.outlook_text(found),
            note=forecast.method_text(),
        )
    ]


def _consumption(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """Each site's year beside its year before (one grouped read of 24 months), then the
    reports' time-of-use and year-over-year sections."""
    before = localtime.add_months(year.first, -12)
    sites = consumption.site_shares(session, viewer, customer.id, before, year.end)
    this_year = localtime.month_starts(year.first, localtime.add_months(year.end, -1))
    last_year = localtime.month_starts(before, localtime.add_months(year.first, -1))
    wh = sites[this_year].sum(axis=1).tolist()
    previous = sites[last_year].sum(axis=1).tolist()
    rows: list[dict[str, Any]] = [
        {
            "site": f"{site_id} · {name}",
            "region": label(REGIONS, region),
            "wh": int(now),
            "previous_wh": int(before_wh),
            "change": now / before_wh - 1 if before_wh else None,
        }
        for site_id, name, region, now, before_wh in zip(
            sites["site_id"], sites["name"], sites["region"], wh, previous, strict=True
        )
    ]
    rows.sort(key=lambda row: -row["wh"])
    total = sum(row["wh"] for row in rows)
    previous_total = sum(row["previous_wh"] for row in rows)
    for row in rows:
        row["share"] = row["wh"] / total if total else 0.0
    by_site = ReportSection(
        title=_("Consumption by site"),
        columns=(
            ReportColumn("site", _("Site")),
            ReportColumn("region", _("Region")),
            ReportColumn("wh", _("This year, kWh"), "kwh"),
            ReportColumn("previous_wh", _("A year earlier, kWh"), "kwh"),
            ReportColumn("change", _("Change"), "change"),
            ReportColumn("share", _("Share"), "percent"),
        ),
        rows=tuple(rows),
        totals={
            "wh": total,
            "previous_wh": previous_total,
            "change": total / previous_total - 1 if previous_total else None,
            "share": 1.0 if total else 0.0,
        },
    )
    request = reporting.ReportRequest("tou", customer.id, year.first, year.end)
    tou = reporting.time_of_use_sections(session, viewer, request, by_site=True)
    yoy = reporting.sections(
        session, viewer, reporting.ReportRequest("yoy", customer.id, year.first, year.end)
    )
    return [by_site, *tou, *yoy]


def _contracts(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    horizon = year.today + dt.timedelta(days=ENDING_WITHIN_DAYS)
    ending = sorted(
        (
            row
            for row in contracts.contracts(session, viewer, customer.id, year.today)
            if row.end_date is not None and year.today <= row.end_date <= horizon
        ),
        key=lambda row: (row.end_date, row.number),
    )
    return [
        ReportSection(
            title=_("Contracts ending within a year"),
            columns=(
                ReportColumn("number", _("Contract")),
                ReportColumn("site", _("Site")),
                ReportColumn("tariff", _("Tariff")),
                ReportColumn("capacity", _("Capacity, kVA"), "number"),
                ReportColumn("supplier", _("Supplier")),
                ReportColumn("end", _("Ends on"), "date"),
            ),
            rows=tuple(
                {
                    "number": row.number,
                    "site": f"{row.site_id} · {row.site_name}",
                    "tariff": row.tariff,
                    "capacity": row.capacity_kva,
                    "supplier": row.supplier,
                    "end": row.end_date,
                }
                for row in ending
            ),
            note=None if ending else _("No contract ends within a year."),
        )
    ]


def _money(session: Session, viewer: Viewer, customer: Customer, year: Year) -> list[ReportSection]:
    """Invoices of the year by month of issue, then the debts report's sections as of today."""
    invoices = billing.list_invoices(
        session, viewer, customer_id=customer.id, issued=(year.first, year.end), as_of=year.today
    )
    zero = Decimal("0.00")
    by_month: dict[dt.date, dict[str, Any]] = {}
    for row in invoices:
        if row.status == billing.CANCELLED:
            continue
        month = localtime.first_of_month(row.issue_date)
        line = by_month.setdefault(
            month, {"month": month, "count": 0, "wh": 0, "total": zero, "paid": zero, "open": zero}
        )
        line["count"] += 1
        line["wh"] += row.wh
        line["total"] += row.total
        line["paid"] += row.paid
        line["open"] += row.open_amount
    rows = [by_month[month] for month in sorted(by_month)]
    keys = ("count", "wh", "total", "paid", "open")
    issued = ReportSection(
        title=_("Invoices of the year by month"),
        columns=(
            ReportColumn("month", _("Month"), "month"),
            ReportColumn("count", _("Invoices"), "number"),
            ReportColumn("wh", _("kWh"), "kwh"),
            ReportColumn("total", _("Total"), "money"),
            ReportColumn("paid", _("Paid"), "money"),
            ReportColumn("open", _("Open"), "money"),
        ),
        rows=tuple(rows),
        totals={
            key: sum((row[key] for row in rows), zero if key in ("total", "paid", "open") else 0)
            for key in keys
        },
        chart=Chart(x="month", y=("total",)),
    )
    debts = reporting.ReportRequest(
        "debts", customer.id, year.end, localtime.add_months(year.end, 1)
    )
    return [issued, *reporting.sections(session, viewer, debts)]


def _largest_contract(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> int | None:
    """The contract billed the most in the year (issued invoices)."""
    query = (
        select(Invoice.contract_id)
        .where(
            Invoice.customer_id == customer.id,
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.issue_date >= year.first,
            Invoice.issue_date < year.end,
        )
        .group_by(Invoice.contract_id)
        .order_by(func.sum(Invoice.total).desc(), Invoice.contract_id)
        .limit(1)
    )
    return session.scalar(billing.visible_invoices(query, viewer))


def _bill_comparison(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """The latest invoice of the largest contract against the same month a year earlier."""
    contract_id = _largest_contract(session, viewer, customer, year)
    pair = bill_comparison.default_pair(session, viewer, contract_id) if contract_id else None
    if pair is None:
        return []
    compared = bill_comparison.document(session, viewer, pair[0], pair[1], i18n.current())
    section = compared.sections[0]
    return [
        ReportSection(
            title=_("Bill comparison: {contract}").format(contract=compared.subtitle),
            columns=section.columns,
            rows=section.rows,
            note=f"{section.title}. {section.note}" if section.note else section.title,
            warning=section.warning,
            chart=section.chart,
        )
    ]


def _requests(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """Requests and faults opened in the year, with their SLA, and a count per kind."""
    listed = [
        item
        for item in workflow.requests(session, viewer, year.today, customer_id=customer.id)
        if year.holds(item.request.opened_at)
    ]
    listed.reverse()
    per_kind: dict[str, dict[str, Any]] = {}
    for item in listed:
        kind = per_kind.setdefault(
            item.request.kind,
            {
                "kind": _(kinds.KINDS[item.request.kind].label),
                "count": 0,
                "open": 0,
                "met": 0,
                "breached": 0,
            },
        )
        kind["count"] += 1
        kind["open"] += item.request.state in kinds.OPEN_STATES
        kind["met"] += item.sla == sla.Sla.MET
        kind["breached"] += item.sla == sla.Sla.BREACHED
    counts = ("count", "open", "met", "breached")
    summary = ReportSection(
        title=_("Requests and faults of the year"),
        columns=(
            ReportColumn("kind", _("Kind")),
            ReportColumn("count", _("Opened"), "number"),
            ReportColumn("open", _("Still open"), "number"),
            ReportColumn("met", _("Within SLA"), "number"),
            ReportColumn("breached", _("SLA breached"), "number"),
        ),
        rows=tuple(per_kind[k] for k in kinds.KINDS if k in per_kind),
        totals={key: sum(row[key] for row in per_kind.values()) for key in counts},
        note=None if listed else _("No request was opened this year."),
    )
    if not listed:
        return [summary]
    detail = ReportSection(
        title=_("Requests one by one"),
        columns=(
            ReportColumn("number", _("Request")),
            ReportColumn("kind", _("Kind")),
            ReportColumn("subject", _("Subject")),
            ReportColumn("opened", _("Opened"), "date"),
            ReportColumn("due", _("Due date"), "date"),
            ReportColumn("state", _("State")),
            ReportColumn("sla", _("SLA")),
        ),
        rows=tuple(
            {
                "number": f"#{item.request.id}",
                "kind": _(kinds.KINDS[item.request.kind].label),
                "subject": item.request.subject,
                "opened": localtime.local_day(item.request.opened_at),
                "due": item.request.due_date,
                "state": _(kinds.STATES[item.request.state]),
                "sla": _(sla.LABELS[item.sla]),
            }
            for item in listed
        ),
    )
    return [summary, detail]


def _notices(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """Notices that reached the customer in the year, its acknowledgement, and the measured
    load reduction of its sites in the year's peak-load events."""
    found = acknowledgements.history(session, viewer, customer.id, year.since, year.until)
    notices = ReportSection(
        title=_("Notices and the customer's response"),
        columns=(
            ReportColumn("notice", _("Notice")),
            ReportColumn("window", _("When")),
            ReportColumn("sites", _("Sites"), "number"),
            ReportColumn("state", _("State")),
            ReportColumn("acknowledged", _("Acknowledged")),
            ReportColumn("planned_kw", _("Planned reduction, kW"), "number"),
        ),
        rows=tuple(
            {
                "notice": notice_title(n.kind, n.level, n.reason),
                "window": notice_text.window(n.starts_at, n.ends_at),
                "sites": len(n.sites),
                "state": label(NOTICE_STATES, n.state),
                "acknowledged": i18n.format_datetime(n.acknowledged_at, "short")
                if n.acknowledged_at
                else _("Not acknowledged"),
                "planned_kw": n.planned_kw,
            }
            for n in found
        ),
        note=None if found else _("No notice reached the customer's sites this year."),
    )
    events = [
        n
        for n in found
        if n.kind == NoticeKind.PEAK_WARNING
        and n.state in baseline.EVENT_STATES
        and n.ends_at <= utcnow()
    ]
    rows: list[dict[str, Any]] = []
    reductions = baseline.measure_many(
        session, viewer, [n.notice_id for n in events], customer_id=customer.id
    )
    for notice, reduction in zip(events, reductions, strict=True):
        total = reduction.total
        rows.append(
            {
                "event": notice_text.window(notice.starts_at, notice.ends_at),
                **reduction_report.values(total),
            }
        )
    if not rows:
        return [notices]
    sums = {
        key: sum(row[key] for row in rows) for key in ("baseline_wh", "actual_wh", "reduction_wh")
    }
    reduction_section = ReportSection(
        title=_("Measured load reduction"),
        columns=(
            ReportColumn("event", _("Peak-load warning")),
            ReportColumn("sites", _("Sites measured"), "number"),
            *reduction_report.figures(),
        ),
        rows=tuple(rows),
        totals={
            **sums,
            "share": sums["reduction_wh"] / sums["baseline_wh"] if sums["baseline_wh"] > 0 else 0.0,
        },
        note=_(reduction_report.METHOD),
    )
    return [notices, reduction_section]


def _actions(
    session: Session, viewer: Viewer, customer: Customer, year: Year
) -> list[ReportSection]:
    """The action items agreed at the last meeting held, and where each stands today."""
    held = [
        m
        for m in meetings.meetings_of(session, viewer, customer.id)
        if m.state == MeetingState.HELD and meetings.local(m.starts_at).date() <= year.today
    ]
    if not held:
        return [
            ReportSection(
                title=_("Action items of the previous meeting"),
                columns=(ReportColumn("text", _("Action")),),
                rows=(),
                note=_("No meeting has been held with the customer yet."),
            )
        ]
    last = held[0]

    def state(item: Any) -> str:
        if item.done_at is not None:
            return _("Done on {date}").format(date=format_date(localtime.local_day(item.done_at)))
        if meetings.is_overdue(item, year.today):
            return _("Overdue")
        return _("Open")

    items = sorted(last.actions, key=lambda item: (item.due_date, item.id))
    return [
        ReportSection(
            title=_("Action items of the meeting of {date}").format(
                date=format_date(meetings.local(last.starts_at).date())
            ),
            columns=(
                ReportColumn("text", _("Action")),
                ReportColumn("owner", _("Who")),
                ReportColumn("due", _("Due date"), "date"),
                ReportColumn("state", _("State")),
            ),
            rows=tuple(
                {
                    "text": item.text,
                    "owner": label(ACTION_OWNERS, item.owner),
                    "due": item.due_date,
                    "state": state(item),
                }
                for item in items
            ),
            note=None if items else _("No action items were recorded."),
        )
    ]


#: The pack's parts, in the order of the meeting.
PARTS: tuple[Part, ...] = (
    _membership,
    _forecast,
    _consumption,
    _contracts,
    _money,
    _bill_comparison,
    _requests,
    _notices,
    _actions,
)


# --- the portfolio's packs ---------------------------------------------------------------


def portfolio(session: Session, viewer: Viewer) -> list[Customer]:
    """Every customer whose pack the viewer may build (a manager's portfolio), by id."""
    access.require(viewer, *BUILDERS)
    return list(session.scalars(access.visible_customers(viewer).order_by(Customer.id)))


def portfolio_zip(
    session: Session,
    viewer: Viewer,
    today: dt.date,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> bytes:
    """One ZIP of the packs of the viewer's whole portfolio, one PDF per customer, each in
    that customer's language; ``progress(done, total)`` after each one."""
    customers = portfolio(session, viewer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, customer in enumerate(customers, start=1):
            archive.writestr(filename(customer), pdf(session, viewer, customer.id, today))
            progress(done, len(customers))
    return buffer.getvalue()
