"""The SLA of a request: due a number of working days after it was opened (Israeli calendar).

Working days are those of :mod:`lounge.calendar` (Sunday to Thursday, public holidays off), so a
fault opened on a Thursday with one working day is due on Sunday, and one opened on the eve of a
holiday is due after the holiday. The clock stops while a request waits for the customer: when it
leaves that state, its due date moves by the working days it waited (:func:`resumed`), so a desk
that asked for the gate to be opened is not in breach while the gate stays shut, and the
customer's reply does not come back to a request already late through no one's fault.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from db.models import ServiceRequest
from lounge import calendar, localtime
from lounge.i18n import N_
from lounge.requests.kinds import KINDS, OPEN_STATES


class Sla(StrEnum):
    """Where a request stands against its due date (a request's badge, a list's filter)."""

    BREACHED = "breached"
    DUE_TODAY = "due_today"
    THIS_WEEK = "this_week"
    ON_TRACK = "on_track"
    MET = "met"


LABELS = {
    Sla.BREACHED: N_("Breached"),
    Sla.DUE_TODAY: N_("Due today"),
    Sla.THIS_WEEK: N_("Due this week"),
    Sla.ON_TRACK: N_("On track"),
    Sla.MET: N_("Met"),
}
#: The filters a list offers (the others are not worth a filter of their own).
FILTERS = (Sla.BREACHED, Sla.DUE_TODAY, Sla.THIS_WEEK)
_SATURDAY = 5


def due_date(kind: str, opened_on: dt.date) -> dt.date:
    """The last working day of the SLA of ``kind`` for a request opened on ``opened_on``."""
    return calendar.add_working_days(opened_on, KINDS[kind].sla_days)


def resumed(due: dt.date, waiting_since: dt.date, resumed_on: dt.date) -> dt.date:
    """The due date of a request that waited for the customer from ``waiting_since`` until
    ``resumed_on``: later by the working days after the day it began waiting, up to and
    including the day it resumed (a request asked on Sunday and answered on Tuesday gains two)."""
    waited = sum(
        calendar.is_working_day(waiting_since + dt.timedelta(days=n))
        for n in range(1, (resumed_on - waiting_since).days + 1)
    )
    return calendar.add_working_days(due, waited) if waited else due


def end_of_week(day: dt.date) -> dt.date:
    """The Saturday that ends ``day``'s week (the Israeli week runs Sunday to Saturday)."""
    return day + dt.timedelta(days=(_SATURDAY - day.weekday()) % 7)


def status(request: ServiceRequest, today: dt.date) -> Sla:
    """Breached when open past its due date or resolved after it; else how soon it is due."""
    if request.state not in OPEN_STATES:
        done = request.resolved_at or request.closed_at
        finished = localtime.local_day(done) if done else today
        return Sla.BREACHED if finished > request.due_date else Sla.MET
    if today > request.due_date:
        return Sla.BREACHED
    if today == request.due_date:
        return Sla.DUE_TODAY
    if request.due_date <= end_of_week(today):
        return Sla.THIS_WEEK
    return Sla.ON_TRACK
