"""The manager's week: what needs doing in the working week (Sunday to Thursday), by customer.

Nothing here reads the database by itself: each section is what its own module already answers
(the meeting planner, the requests list with their SLA, the debts by age, the forecast, the
membership events, the notices not acknowledged), narrowed to the week and to what needs a
manager. Every line names a customer and opens it; a low survey score also carries its survey, for
the manager to record the follow-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lounge import access, billing, calendar, forecast, localtime, meetings, membership
from lounge.access import Viewer
from lounge.demand import acknowledgements
from lounge.i18n import _, format_date, format_kwh, format_money, format_month, ngettext
from lounge.labels import EVENTS, PLAN_STATUSES, label, notice_title
from lounge.notify import service
from lounge.requests import sla, workflow
from lounge.requests.kinds import KINDS
from lounge.surveys import results

#: Who has a week: the portfolio's roles (an admin's is every customer's).
ROLES = access.PORTFOLIO_ROLES
#: Entries and exits this recent are news.
RECENT_DAYS = 45
#: Debts older than this many days past due need a call.
DEBT_DAYS = 60
#: The aging buckets past :data:`DEBT_DAYS`.
LATE_BUCKETS = ("61-90", "90+")


@dataclass(frozen=True)
class Line:
    """One thing to do: about a customer, with what it is and when; it opens the customer."""

    customer_id: str
    customer: str
    text: str
    day: dt.date | None = None
    #: How urgent it looks: danger, warning, info, success (Bootstrap's colours).
    tone: str = "info"
    #: The survey whose low score this line asks to follow up.
    survey_id: int | None = None
    #: Where the line opens when not the customer (a notice's line: the portfolio's notices).
    link: str | None = None

    @property
    def href(self) -> str:
        return self.link or customer_href(self.customer_id)


@dataclass(frozen=True)
class Week:
    today: dt.date
    #: The working days of the week (Sunday to Thursday less holidays).
    days: tuple[dt.date, ...]
    meetings: tuple[Line, ...]
    breached: tuple[Line, ...]
    due_today: tuple[Line, ...]
    due_this_week: tuple[Line, ...]
    notices: tuple[Line, ...]
    forecast: tuple[Line, ...]
    movements: tuple[Line, ...]
    debts: tuple[Line, ...]
    surveys: tuple[Line, ...]

    @property
    def total(self) -> int:
        return sum(
            len(section)
            for section in (
                self.meetings,
                self.breached,
                self.due_today,
                self.due_this_week,
                self.notices,
                self.forecast,
                self.movements,
                self.debts,
                self.surveys,
            )
        )


def customer_href(customer_id: str) -> str:
    """Where a customer opens for staff: its page with notes and timeline."""
    return f"/customer/{customer_id}"


def _meetings(
    session: Session, viewer: Viewer, today: dt.date, days: tuple[dt.date, ...]
) -> list[Line]:
    """Overdue and due annual meetings, and those scheduled this week."""
    lines: list[Line] = []
    last_day = days[-1] if days else today
    for row in meetings.planner(session, viewer, today):
        planned = row.next_meeting
        if planned is not None and meetings.local(planned.starts_at).date() <= last_day:
            when = meetings.when(planned)
            text = _("Meeting this week: {when}").format(when=when)
            lines.append(
                Line(
                    row.customer_id,
                    row.name,
                    text,
                    meetings.local(planned.starts_at).date(),
                    "success",
                )
            )
        elif row.status in (meetings.OVERDUE, meetings.DUE):
            proposal = (
                _("proposed {day}").format(day=format_date(row.proposed.date()))
                if row.proposed
                else ""
            )
            last = (
                _("last met {day}").format(day=format_date(row.last_held))
                if row.last_held
                else _("never met")
            )
            status = label(PLAN_STATUSES, row.status)
            text = " · ".join(part for part in (status, last, proposal) if part)
            tone = "danger" if row.status == meetings.OVERDUE else "warning"
            lines.append(Line(row.customer_id, row.name, text, row.last_held, tone))
    return lines


def _requests(session: Session, viewer: Viewer, today: dt.date) -> dict[sla.Sla, list[Line]]:
    """Open requests by SLA: breached, due today, due later this week."""
    found: dict[sla.Sla, list[Line]] = {s: [] for s in sla.FILTERS}
    for item in workflow.requests(session, viewer, today, state="open"):
        if item.sla not in found:
            continue
        request = item.request
        text = _("{number} {kind}: {subject} (due {due})").format(
            number=service.number(request.id),
            kind=_(KINDS[request.kind].label),
            subject=request.subject,
            due=format_date(request.due_date),
        )
        tone = {sla.Sla.BREACHED: "danger", sla.Sla.DUE_TODAY: "warning"}.get(item.sla, "info")
        found[item.sla].append(
            Line(request.customer_id, item.customer, text, request.due_date, tone)
        )
    for lines in found.values():
        lines.sort(key=lambda line: (line.day or today, line.customer))
    return found


#: Customers named in a notice's line before "and N more".
CUSTOMERS_NAMED = 3


def unacknowledged_notices(
    session: Session, viewer: Viewer, today: dt.date, now: dt.datetime | None = None
) -> list[Line]:
    """Open warnings and outage notices (not over yet) that customers of the portfolio have not
    acknowledged, one line per notice with how many and which (the manager calls them before
    the event, :mod:`lounge.demand.acknowledgements`); a line opens the portfolio's notices."""
    access.require(viewer, *ROLES)
    waiting: dict[int, list[acknowledgements.Unacknowledged]] = {}
    for found in acknowledgements.unacknowledged(session, viewer, now):
        waiting.setdefault(found.notice_id, []).append(found)
    lines = []
    for customers in waiting.values():
        first = customers[0]
        named = ", ".join(c.customer for c in customers[:CUSTOMERS_NAMED])
        if len(customers) > CUSTOMERS_NAMED:
            named = _("{named} and {count} more").format(
                named=named, count=len(customers) - CUSTOMERS_NAMED
            )
        day = localtime.local_day(first.starts_at)
        lines.append(
            Line(
                first.customer_id,
                notice_title(first.kind, first.level, first.reason),
                ngettext(
                    "{count} customer has not acknowledged: {customers}",
                    "{count} customers have not acknowledged: {customers}",
                    len(customers),
                ).format(count=len(customers), customers=named),
                day,
                "danger" if day <= today else "warning",
                link=f"/notices#notices-notice-{first.notice_id}",
            )
        )
    return lines


def low_survey_scores(session: Session, viewer: Viewer, today: dt.date) -> list[Line]:
    """Survey answers of 1 or 2 not followed up yet, the longest waiting first; each opens the
    customer, and leaves the week once the follow-up is recorded (:mod:`lounge.surveys`)."""
    access.require(viewer, *ROLES)
    return [
        Line(
            found.customer_id,
            found.customer,
            _("Scored {score} of 5: {about}").format(score=found.score, about=found.about)
            + (f" · “{found.comment}”" if found.comment else ""),
            localtime.local_day(found.answered_at),
            "danger",
            found.survey_id,
        )
        for found in results.low_scores(session, viewer)
    ]


def _forecast(session: Session, viewer: Viewer) -> list[Line]:
    """Customers forecast to enter or leave within the forecast's near horizon."""
    lines = []
    for found in forecast.expected_changes(forecast.portfolio(session, viewer)):
        crossing = found.crossing
        if crossing is None:
            continue
        text = (
            _("Expected to enter in {month}")
            if crossing.entering
            else _("Expected to leave in {month}")
        ).format(month=format_month(crossing.month))
        tone = "success" if crossing.entering else "warning"
        lines.append(Line(found.customer_id, found.name, text, crossing.month, tone))
    return lines


def _movements(session: Session, viewer: Viewer, today: dt.date) -> list[Line]:
    """Entries and exits of the last :data:`RECENT_DAYS` days, newest first."""
    since = today - dt.timedelta(days=RECENT_DAYS)
    return [
        Line(
            event.customer_id,
            name,
            f"{label(EVENTS, event.event)} · {format_kwh(event.window_wh)}",
            event.effective_date,
            "success" if event.event == "enter" else "warning",
        )
        for event, name in reversed(membership.events(session, viewer, since=since))
    ]


def _debts(session: Session, viewer: Viewer, today: dt.date) -> list[Line]:
    """Customers with money open more than :data:`DEBT_DAYS` days past due, largest first."""
    report = billing.debts(session, viewer, as_of=today)
    late = []
    for total in report.by_customer:
        amount = sum((total.aging.by_bucket[b] for b in LATE_BUCKETS), billing.ZERO)
        if amount > 0:
            late.append((amount, total))
    late.sort(key=lambda pair: -pair[0])
    return [
        Line(
            total.customer_id,
            total.name,
            _("{amount} more than {days} days past due").format(
                amount=format_money(amount), days=DEBT_DAYS
            ),
            None,
            "danger",
        )
        for amount, total in late
    ]


def week(session: Session, viewer: Viewer, today: dt.date) -> Week:
    """The viewer's week as of ``today`` (account managers; an admin's covers every customer)."""
    access.require(viewer, *ROLES)
    days = calendar.working_week(today)
    requests = _requests(session, viewer, today)
    return Week(
        today=today,
        days=days,
        meetings=tuple(_meetings(session, viewer, today, days)),
        breached=tuple(requests[sla.Sla.BREACHED]),
        due_today=tuple(requests[sla.Sla.DUE_TODAY]),
        due_this_week=tuple(requests[sla.Sla.THIS_WEEK]),
        notices=tuple(unacknowledged_notices(session, viewer, today)),
        forecast=tuple(_forecast(session, viewer)),
        movements=tuple(_movements(session, viewer, today)),
        debts=tuple(_debts(session, viewer, today)),
        surveys=tuple(low_survey_scores(session, viewer, today)),
    )
