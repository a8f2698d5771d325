"""Tariffs, VAT by date and the rounding rule (pure: no database involved)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lounge import tariffs
from lounge.tariffs import Band, Season, Tariff


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (dt.date(2015, 9, 30), "0.18"),
        (dt.date(2015, 10, 1), "0.17"),
        (dt.date(2024, 12, 31), "0.17"),
        (dt.date(2025, 1, 1), "0.18"),
        (dt.date(2026, 11, 23), "0.18"),
    ],
)
def test_vat_is_the_rate_of_the_day(day, rate):
    assert tariffs.vat_rate(day) == Decimal(rate)


def test_no_vat_rate_before_the_table_starts():
    with pytest.raises(ValueError, match="2000-01-01"):
        tariffs.vat_rate(dt.date(2000, 1, 1))


def test_vat_is_rounded_half_up_on_the_subtotal():
    # 18 % of 0.25 is 0.045: half an agora rounds up, not to even
    assert tariffs.vat_on(Decimal("0.25"), dt.date(2025, 1, 1)) == Decimal("0.05")
    assert tariffs.vat_on(Decimal("1000.00"), dt.date(2024, 12, 31)) == Decimal("170.00")


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("2.025", "2.03"),
        ("2.0249", "2.02"),
        ("0.005", "0.01"),
        ("7.1", "7.10"),
        ("-1.005", "-1.01"),
    ],
)
def test_lines_round_half_up_to_the_agora(amount, rounded):
    assert tariffs.to_agorot(Decimal(amount)) == Decimal(rounded)


def test_the_three_demo_tariffs_are_priced():
    medium = tariffs.tariff("General TOU")
    assert medium.is_time_of_use and medium.voltage_level == "medium"
    july, january, april = dt.date(2026, 7, 1), dt.date(2026, 1, 1), dt.date(2026, 4, 1)
    assert tariffs.season_of(july) is Season.SUMMER
    assert medium.energy_price(july, Band.PEAK) == Decimal("1.45")
    assert medium.energy_price(january, Band.OFFPEAK) == Decimal("0.36")
    for month in (july, january, april):
        peak, shoulder, offpeak = (medium.energy_price(month, band) for band in Band)
        assert peak > shoulder > offpeak
    high = tariffs.tariff("High-voltage TOU")
    assert high.energy_price(july, Band.PEAK) < medium.energy_price(july, Band.PEAK)
    flat = tariffs.tariff("Low-voltage flat")
    assert not flat.is_time_of_use
    assert flat.energy_price(july) == flat.energy_price(january) == Decimal("0.62")


def test_a_band_must_fit_the_kind_of_tariff():
    with pytest.raises(ValueError, match="flat"):
        tariffs.tariff("Low-voltage flat").energy_price(dt.date(2026, 7, 1), Band.PEAK)
    with pytest.raises(ValueError, match="band is needed"):
        tariffs.tariff("General TOU").energy_price(dt.date(2026, 7, 1))


def test_a_tariff_has_band_prices_or_a_flat_price_not_both():
    with pytest.raises(ValueError, match="either"):
        Tariff("Odd", "Odd", "low", Decimal(1), Decimal(1))


def test_unknown_tariff_names_the_tariff():
    with pytest.raises(tariffs.UnknownTariff, match="Night saver"):
        tariffs.tariff("Night saver")
