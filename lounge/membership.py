"""Membership as people read it: who is in, since when, why, and how far from the edge.

The status is the one stored by the latest classification run; the figures
are computed live for that run's window from the monthly rollup (cheap), so a
correction imported after the run shows at once in the figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Customer,
    ManagerAssignment,
    User,
    VipEvent,
    VipStatus,
    utcnow,
)
from lounge import access, classification, i18n, localtime, portfolio
from lounge.access import Viewer
from lounge.classification import Figures, Window
from lounge.i18n import _
from lounge.labels import RULES, label
from reports.documents import ReportColumn, ReportDocument, ReportSection

LIST_COLUMNS = ["customer_id", "name", "is_vip", "rule", "window_kwh", "max_site_kwh", "since"]
HISTORY_COLUMNS = ["customer_id", "event", "effective_date", "rule", "window_kwh"]


def kwh_text(wh: int) -> str:
    """Exact kWh from Wh for files: ``1000000``, ``999999.5``."""
    whole, rest = divmod(wh, 1000)
    return str(whole) if rest == 0 else f"{whole}.{rest:03d}".rstrip("0")


@dataclass(frozen=True)
class Membership:
    customer_id: str
    name: str
    segment: str | None
    is_vip: bool
    since: dt.date | None
    figures: Figures
    window: Window
    classified: bool
    #: The rule the latest run recorded; shown when a correction since then
    #: leaves the live figures below both thresholds.
    stored_rule: str | None = None
    manager: str | None = None

    @property
    def rule(self) -> str | None:
        return (self.figures.rule or self.stored_rule) if self.is_vip else None

    def as_csv(self) -> dict[str, str]:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "is_vip": "true" if self.is_vip else "false",
            "rule": self.rule or "",
            "window_kwh": kwh_text(self.figures.total_wh),
            "max_site_kwh": kwh_text(self.figures.max_site_wh),
            "since": self.since.isoformat() if self.is_vip and self.since else "",
        }


def current_window(session: Session) -> tuple[Window, bool]:
    """The window of the latest run, or of today when nothing was classified yet."""
    run = classification.latest_run(session)
    if run is None:
        return Window.for_date(localtime.today()), False
    return Window(run.window_start, run.window_end), True


def _membership(
    customer: Customer,
    status: VipStatus | None,
    found: dict[str, Figures],
    window: Window,
    classified: bool,
    manager: str | None = None,
) -> Membership:
    return Membership(
        customer_id=customer.id,
        name=customer.name,
        segment=customer.segment,
        is_vip=bool(status and status.is_vip),
        since=status.since if status else None,
        figures=found.get(customer.id) or Figures(customer.id),
        window=window,
        classified=classified,
        stored_rule=status.rule if status else None,
        manager=manager,
    )


def memberships(session: Session, viewer: Viewer) -> list[Membership]:
    """Every customer the viewer may see, with status and figures, by customer id.

    The portfolio: account managers and administrators only.
    """
    access.require(viewer, *access.PORTFOLIO_ROLES)
    window, classified = current_window(session)
    rows = session.execute(
        access.restrict(
            select(Customer, VipStatus, User.full_name, User.email)
            .outerjoin(VipStatus, VipStatus.customer_id == Customer.id)
            .outerjoin(ManagerAssignment, ManagerAssignment.customer_id == Customer.id)
            .outerjoin(User, User.id == ManagerAssignment.manager_id)
            .order_by(Customer.id),
            viewer,
        )
    ).all()
    ids = None if viewer.role in access.ALL_CUSTOMER_ROLES else [c.id for c, *_ in rows]
    found = classification.figures(session.connection(), window, ids)
    return [
        _membership(customer, status, found, window, classified, manager_name or manager_email)
        for customer, status, manager_name, manager_email in rows
    ]


def membership(session: Session, viewer: Viewer, customer_id: object) -> Membership:
    customer = access.get_customer(session, viewer, customer_id)
    window, classified = current_window(session)
    found = classification.figures(session.connection(), window, [customer.id])
    return _membership(customer, session.get(VipStatus, customer.id), found, window, classified)


def events(
    session: Session, viewer: Viewer, customer_id: str | None = None, since: dt.date | None = None
) -> list[tuple[VipEvent, str]]:
    """Entries and exits the viewer may see, oldest first, with the customer's name.

    Those of one customer (NotFound when not visible), or, for the portfolio's
    roles only, of every customer they may see.
    """
    query = (
        select(VipEvent, Customer.name)
        .join(Customer, Customer.id == VipEvent.customer_id)
        .order_by(VipEvent.effective_date, VipEvent.id)
    )
    if customer_id is None:
        access.require(viewer, *access.PORTFOLIO_ROLES)
    else:
        query = query.where(
            VipEvent.customer_id == access.get_customer(session, viewer, customer_id).id
        )
    query = access.restrict(query, viewer)
    if since is not None:
        query = query.where(VipEvent.effective_date >= since)
    return [(event, name) for event, name in session.execute(query)]


def history_csv(event: VipEvent) -> dict[str, str]:
    return {
        "customer_id": event.customer_id,
        "event": event.event,
        "effective_date": event.effective_date.isoformat(),
        "rule": event.rule,
        "window_kwh": kwh_text(event.window_wh),
    }


def _extra_cells(extra: portfolio.Extras) -> dict[str, object]:
    return {
        "open_debt": extra.open_debt,
        "open_requests": extra.open_requests,
        "last_meeting": extra.last_meeting,
        "next_meeting": extra.next_meeting,
        "main_contact": extra.main_contact,
    }


def document(session: Session, viewer: Viewer, language: str) -> ReportDocument:
    """The viewer's portfolio (status and figures of every customer) for CSV/XLSX export."""
    rows = memberships(session, viewer)
    extras = portfolio.extras(session, viewer, localtime.today())
    with i18n.use(language):
        columns = (
            ReportColumn("customer_id", _("Customer")),
            ReportColumn("name", _("Name")),
            ReportColumn("status", _("Status")),
            ReportColumn("rule", _("Rule")),
            ReportColumn("since", _("Member since"), "date"),
            ReportColumn("window_wh", _("kWh, 12 months"), "kwh"),
            ReportColumn("max_site_wh", _("Biggest site kWh"), "kwh"),
            ReportColumn("manager", _("Account manager")),
            ReportColumn("open_debt", _("Open debt"), "money"),
            ReportColumn("open_requests", _("Open requests"), "number"),
            ReportColumn("last_meeting", _("Last meeting"), "date"),
            ReportColumn("next_meeting", _("Next meeting"), "date"),
            ReportColumn("main_contact", _("Main contact")),
        )
        window = rows[0].window if rows else current_window(session)[0]
        return ReportDocument(
            language=i18n.current(),
            kind="portfolio",
            title=_("Portfolio"),
            subtitle=_("{first} to {last}").format(
                first=i18n.format_month(window.start), last=i18n.format_month(window.last_day)
            ),
            generated_at=utcnow(),
            sections=(
                ReportSection(
                    title=_("Portfolio"),
                    columns=columns,
                    rows=tuple(
                        {
                            "customer_id": m.customer_id,
                            "name": m.name,
                            "status": _("Member") if m.is_vip else _("Not a member"),
                            "rule": label(RULES, m.rule),
                            "since": m.since if m.is_vip else None,
                            "window_wh": m.figures.total_wh,
                            "max_site_wh": m.figures.max_site_wh,
                            "manager": m.manager or "",
                            **_extra_cells(extras.get(m.customer_id, portfolio.Extras())),
                        }
                        for m in rows
                    ),
                ),
            ),
        )
