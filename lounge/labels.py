"""Words for codes stored in the data (segments, rules, events, regions).

Stored values stay stable codes; what a reader sees goes through translation
here, for the screens and the PDFs alike. Unknown codes are shown as stored.
"""

from __future__ import annotations

from db.models import BandSplit, NoticeKind, NoticeState, Role, Topic, VenState
from lounge.i18n import N_, _, format_percent
from lounge.invoicing import TYPICAL_SHARES
from lounge.tariffs import Band

ROLES = {
    Role.CLIENT: N_("Client"),
    Role.ACCOUNT_MANAGER: N_("Account manager"),
    Role.DEMAND_STAFF: N_("Demand management"),
    Role.ADMIN: N_("Administrator"),
    Role.FAULT_DESK: N_("Fault desk"),
}
SEGMENTS = {
    "factory": N_("Factory"),
    "retail": N_("Retail chain"),
    "hospital": N_("Hospital"),
    "office": N_("Offices"),
    "cold_storage": N_("Cold storage"),
}
SITE_TYPES = {
    "plant": N_("Plant"),
    "warehouse": N_("Warehouse"),
    "store": N_("Store"),
    "office": N_("Office"),
    "hospital": N_("Hospital"),
    "clinic": N_("Clinic"),
}
RULES = {
    "site": N_("one site used at least 1,000,000 kWh"),
    "multi-site": N_("all sites together used at least 5,000,000 kWh"),
}
EVENTS = {"enter": N_("Joined the lounge"), "exit": N_("Left the lounge")}
VOLTAGES = {"low": N_("Low voltage"), "medium": N_("Medium voltage"), "high": N_("High voltage")}
REGIONS = {
    "North": N_("North"),
    "Haifa": N_("Haifa"),
    "Center": N_("Center"),
    "Tel Aviv": N_("Tel Aviv"),
    "Jerusalem": N_("Jerusalem"),
    "South": N_("South"),
}

#: How a time-of-use bill split its energy by band, in a word (grid cells, exports).
BAND_SPLITS: dict[str, str] = {
    BandSplit.INTERVAL: N_("Measured"),
    BandSplit.TYPICAL: N_("Estimated"),
}

#: A meeting's state, the planner's status of a member, who does an action item.
MEETING_STATES = {
    "scheduled": N_("Scheduled"),
    "held": N_("Held"),
    "cancelled": N_("Cancelled"),
}
PLAN_STATUSES = {
    "overdue": N_("Overdue"),
    "due": N_("Due this year"),
    "scheduled": N_("Scheduled"),
    "held": N_("Met this year"),
}
ACTION_OWNERS = {"us": N_("Us"), "customer": N_("Customer")}
#: The channels a message reaches a contact on.
CHANNELS = {
    "email": N_("E-mail"),
    "sms": N_("Text message"),
    "post": N_("Letter"),
    "in_app": N_("In the lounge"),
}
NOTICE_KINDS: dict[str, str] = {
    NoticeKind.PEAK_WARNING: N_("Peak-load warning"),
    NoticeKind.POSSIBLE_OUTAGE: N_("Possible temporary outage"),
    NoticeKind.PLANNED_OUTAGE: N_("Planned outage"),
    NoticeKind.EMERGENCY_OUTAGE: N_("EMERGENCY OUTAGE"),
}
#: The kinds as a text message names them: a message in Hebrew holds 70 characters.
NOTICE_KINDS_SHORT: dict[str, str] = {
    NoticeKind.PEAK_WARNING: N_("Peak load, level {level}"),
    NoticeKind.POSSIBLE_OUTAGE: N_("Possible outage"),
    NoticeKind.PLANNED_OUTAGE: N_("Planned power cut"),
    NoticeKind.EMERGENCY_OUTAGE: N_("EMERGENCY OUTAGE"),
}
NOTICE_STATES: dict[str, str] = {
    NoticeState.DRAFT: N_("Draft"),
    NoticeState.SCHEDULED: N_("Scheduled"),
    NoticeState.ISSUED: N_("Issued"),
    NoticeState.UPDATED: N_("Updated"),
    NoticeState.CANCELLED: N_("Cancelled"),
    NoticeState.COMPLETED: N_("Completed"),
}
NOTICE_REASONS = {"heat": N_("heat"), "cold": N_("cold")}
VEN_STATES: dict[str, str] = {
    VenState.PENDING: N_("Waiting for approval"),
    VenState.APPROVED: N_("Approved"),
    VenState.REJECTED: N_("Rejected"),
    VenState.CANCELLED: N_("Cancelled by the site's system"),
}
#: A VEN's answer to an OpenADR event.
OPT_TYPES = {"optIn": N_("Opted in"), "optOut": N_("Opted out")}


def notice_title(kind: str, level: int | None = None, reason: str | None = None) -> str:
    """What a notice is, in a few words: "Peak-load warning, level 2 (heat)"."""
    if kind == NoticeKind.PEAK_WARNING and level:
        return _("Peak-load warning, level {level} ({reason})").format(
            level=level, reason=label(NOTICE_REASONS, reason)
        )
    return label(NOTICE_KINDS, kind)


def notice_short_title(kind: str, level: int | None = None) -> str:
    """What a notice is in a text message: "Peak load, level 2", "Planned outage"."""
    return label(NOTICE_KINDS_SHORT, kind).format(level=level or "")


def band_split_method(code: str | None) -> str:
    """How the split was made, in a sentence: a bill never passes an estimate off as measured."""
    if code == BandSplit.INTERVAL:
        return _("Time-of-use split measured by the site's interval meter.")
    if code == BandSplit.TYPICAL:
        weight = sum(TYPICAL_SHARES.values())
        share = {band: format_percent(TYPICAL_SHARES[band] / weight) for band in Band}
        return _(
            "Time-of-use split estimated: the site has no interval data, so its energy is "
            "shared by a typical commercial load shape ({peak} peak, {shoulder} shoulder, "
            "{offpeak} off-peak)."
        ).format(peak=share[Band.PEAK], shoulder=share[Band.SHOULDER], offpeak=share[Band.OFFPEAK])
    return ""


def label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return _(table[code]) if code in table else code


#: Kinds of message a contact chooses channels for.
TOPICS: dict[str, str] = {
    Topic.MEMBERSHIP: N_("Lounge membership"),
    Topic.WARNINGS: N_("Peak-load warnings"),
    Topic.OUTAGES: N_("Outages"),
    Topic.SERVICE: N_("Requests and meetings"),
}
