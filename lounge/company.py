"""Who we are, as printed on bills, receipts and reports."""

from __future__ import annotations

from dataclasses import dataclass

from lounge.i18n import N_


@dataclass(frozen=True)
class Company:
    name: str
    tax_id: str
    address: str
    phone: str
    website: str
    email: str


#: The supplier issuing the documents (names are translated where printed).
COMPANY = Company(
    name=N_("Lounge Electric Company Ltd."),
    tax_id="520000000",
    address=N_("1 Energy Street, Haifa 3100001"),
    phone="*5050",
    website="www.lounge-electric.example",
    email="business@lounge-electric.example",
)
