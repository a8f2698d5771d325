"""The rules a notice must meet before it goes out, each with a message that says how to meet it.

A planned outage is announced at least :data:`PLANNED_NOTICE_DAYS` calendar days ahead, counted
in Israel: the works may start at the earliest at local midnight of the fifth day after the day
the notice is issued. Counting calendar days (not 5 × 24 hours) keeps the rule the same across a
change of clock: a notice issued on the Tuesday before the spring change allows works from the
Sunday's midnight, 119 hours later, not 120.
"""

from __future__ import annotations

import datetime as dt

from db.models import NoticeKind
from lounge import i18n
from lounge.i18n import _
from lounge.localtime import local_day
from lounge.settings import TIMEZONE

PLANNED_NOTICE_DAYS = 5
LEVELS = (1, 2, 3)
REASONS = ("heat", "cold")


class NoticeRefused(ValueError):
    """The notice breaks a rule; the message (in the reader's language) says which and how."""


def earliest_planned_start(issued_at: dt.datetime) -> dt.datetime:
    """The first instant a planned outage announced at ``issued_at`` may start (Israel time)."""
    day = local_day(issued_at) + dt.timedelta(days=PLANNED_NOTICE_DAYS)
    return dt.datetime.combine(day, dt.time(), TIMEZONE).astimezone(dt.UTC)


def check_notice_period(kind: str, starts_at: dt.datetime, issued_at: dt.datetime) -> None:
    """Refuse a planned outage that starts less than five calendar days after its issue."""
    if kind != NoticeKind.PLANNED_OUTAGE:
        return
    earliest = earliest_planned_start(issued_at)
    if starts_at < earliest:
        raise NoticeRefused(
            _(
                "A planned outage must be announced at least {days} calendar days ahead: "
                "issued on {issued}, it may start at {time} on {earliest} at the earliest."
            ).format(
                days=PLANNED_NOTICE_DAYS,
                issued=i18n.format_date(local_day(issued_at)),
                time=i18n.format_time(earliest),
                earliest=i18n.format_date(local_day(earliest)),
            )
        )


def check_fields(
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    level: int | None,
    reason: str | None,
    reduction_kw: int | None,
    reduction_pct: int | None,
) -> None:
    """The notice's own fields: a known kind, a window that ends after it starts, and for a
    peak-load warning a level 1 to 3, heat or cold, and at most one kind of reduction."""
    if kind not in set(NoticeKind):
        raise NoticeRefused(_("Choose what the notice announces."))
    if ends_at <= starts_at:
        raise NoticeRefused(_("The end must come after the start."))
    if kind == NoticeKind.PEAK_WARNING:
        if level not in LEVELS:
            raise NoticeRefused(_("A peak-load warning needs a level from 1 to 3."))
        if reason not in REASONS:
            raise NoticeRefused(_("A peak-load warning needs its reason: heat or cold."))
    if reduction_kw is not None and reduction_pct is not None:
        raise NoticeRefused(_("Ask for a reduction in kW or in per cent, not both."))
    if reduction_kw is not None and reduction_kw <= 0:
        raise NoticeRefused(_("The reduction asked for must be more than zero."))
    if reduction_pct is not None and not 0 < reduction_pct <= 100:
        raise NoticeRefused(_("A reduction in per cent lies between 1 and 100."))
