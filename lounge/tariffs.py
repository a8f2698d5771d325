"""Tariffs and VAT: what a kWh, a month of connection and a kVA of capacity cost.

The prices below are **illustrative**: plausible agorot-level figures in the
shape of the Israeli time-of-use ("TAOZ") tariffs, not the regulator's
published table. A time-of-use tariff prices energy by season and band
(peak / shoulder / off-peak); a flat tariff has one price per kWh. Every
tariff adds a fixed charge per month and a capacity charge per kVA of
connection per month. All prices exclude VAT.

Money rules, kept here once: amounts are ``Decimal`` shekels, each invoice line
is rounded half-up to the agora, and VAT is charged on the rounded subtotal
at the rate in force on the invoice's issue date.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from lounge.i18n import N_, _

AGORA = Decimal("0.01")


def to_agorot(amount: Decimal) -> Decimal:
    """Round a shekel amount half-up to whole agorot (the rule for every invoice line)."""
    return amount.quantize(AGORA, rounding=ROUND_HALF_UP)


class Band(StrEnum):
    """Time-of-use bands; their hours are the band table of ``lounge.tou``."""

    PEAK = "peak"
    SHOULDER = "shoulder"
    OFFPEAK = "offpeak"


class Season(StrEnum):
    SUMMER = "summer"
    WINTER = "winter"
    TRANSITION = "transition"


#: Summer is June-September, winter December-February, the rest transition.
_SEASON_OF_MONTH = {
    **dict.fromkeys((6, 7, 8, 9), Season.SUMMER),
    **dict.fromkeys((12, 1, 2), Season.WINTER),
    **dict.fromkeys((3, 4, 5, 10, 11), Season.TRANSITION),
}


def season_of(month: dt.date) -> Season:
    return _SEASON_OF_MONTH[month.month]


@dataclass(frozen=True)
class Tariff:
    """A price list. Exactly one of ``band_prices`` (time of use) and ``flat_price`` is set."""

    name: str
    #: What a reader sees (translated where shown); ``name`` is what contracts store.
    label: str
    voltage_level: str
    fixed_per_month: Decimal
    capacity_per_kva_month: Decimal
    #: ILS per kWh by season and band, for a time-of-use tariff.
    band_prices: Mapping[Season, Mapping[Band, Decimal]] = field(default_factory=dict)
    #: ILS per kWh, for a flat tariff.
    flat_price: Decimal | None = None

    def __post_init__(self) -> None:
        if bool(self.band_prices) == (self.flat_price is not None):
            raise ValueError(f"tariff {self.name}: give either band prices or a flat price")

    @property
    def is_time_of_use(self) -> bool:
        return self.flat_price is None

    def energy_price(self, month: dt.date, band: Band | None = None) -> Decimal:
        """ILS per kWh in ``month``; ``band`` is needed exactly for time-of-use tariffs."""
        if self.flat_price is not None:
            if band is not None:
                raise ValueError(f"tariff {self.name} is flat: it has no {band} band")
            return self.flat_price
        if band is None:
            raise ValueError(f"tariff {self.name} is time-of-use: a band is needed")
        return self.band_prices[season_of(month)][band]


def _bands(peak: str, shoulder: str, offpeak: str) -> dict[Band, Decimal]:
    return {
        Band.PEAK: Decimal(peak),
        Band.SHOULDER: Decimal(shoulder),
        Band.OFFPEAK: Decimal(offpeak),
    }


TARIFFS: dict[str, Tariff] = {
    tariff.name: tariff
    for tariff in (
        Tariff(
            name="General TOU",
            label=N_("General time-of-use (medium voltage)"),
            voltage_level="medium",
            fixed_per_month=Decimal("120.00"),
            capacity_per_kva_month=Decimal("6.40"),
            band_prices={
                Season.SUMMER: _bands("1.4500", "0.5800", "0.3800"),
                Season.WINTER: _bands("1.2000", "0.5500", "0.3600"),
                Season.TRANSITION: _bands("0.7500", "0.5000", "0.3400"),
            },
        ),
        Tariff(
            name="High-voltage TOU",
            label=N_("Time-of-use (high voltage)"),
            voltage_level="high",
            fixed_per_month=Decimal("450.00"),
            capacity_per_kva_month=Decimal("4.80"),
            band_prices={
                Season.SUMMER: _bands("1.2200", "0.4900", "0.3200"),
                Season.WINTER: _bands("1.0100", "0.4600", "0.3050"),
                Season.TRANSITION: _bands("0.6300", "0.4200", "0.2900"),
            },
        ),
        Tariff(
            name="Low-voltage flat",
            label=N_("General flat rate (low voltage)"),
            voltage_level="low",
            fixed_per_month=Decimal("35.00"),
            capacity_per_kva_month=Decimal("1.90"),
            flat_price=Decimal("0.6200"),
        ),
    )
}


class UnknownTariff(LookupError):
    """A contract names a tariff this table does not price."""


def tariff(name: str) -> Tariff:
    try:
        return TARIFFS[name]
    except KeyError:
        raise UnknownTariff(f"no prices for tariff {name!r}") from None


#: VAT rate from each date on (Israel: 18 % from June 2013, 17 % from October 2015,
#: 18 % again from 1 January 2025). An invoice uses the rate of its issue date.
VAT_RATES: tuple[tuple[dt.date, Decimal], ...] = (
    (dt.date(2013, 6, 2), Decimal("0.18")),
    (dt.date(2015, 10, 1), Decimal("0.17")),
    (dt.date(2025, 1, 1), Decimal("0.18")),
)


def vat_rate(on: dt.date) -> Decimal:
    index = bisect.bisect_right([since for since, _ in VAT_RATES], on) - 1
    if index < 0:
        raise ValueError(f"no VAT rate known for {on.isoformat()}")
    return VAT_RATES[index][1]


def vat_on(subtotal: Decimal, on: dt.date) -> Decimal:
    """VAT on an invoice's subtotal, rounded half-up to the agora."""
    return to_agorot(subtotal * vat_rate(on))


def display_name(name: str) -> str:
    """A tariff's name for people (translated), or the stored name of one priced elsewhere."""
    try:
        return _(tariff(name).label)
    except UnknownTariff:
        return name
