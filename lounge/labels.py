"""Words for codes stored in the data (segments, rules, events, regions).

Stored values stay stable codes; what a reader sees goes through translation
here, for the screens and the PDFs alike. Unknown codes are shown as stored.
"""

from __future__ import annotations

from db.models import Role
from lounge.i18n import N_, _

ROLES = {
    Role.CLIENT: N_("Client"),
    Role.ACCOUNT_MANAGER: N_("Account manager"),
    Role.DEMAND_STAFF: N_("Demand management"),
    Role.ADMIN: N_("Administrator"),
}
SEGMENTS = {
    "factory": N_("Factory"),
    "retail": N_("Retail chain"),
    "hospital": N_("Hospital"),
    "office": N_("Offices"),
    "cold_storage": N_("Cold storage"),
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


def label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return _(table[code]) if code in table else code
