"""Every string a person reads has a Hebrew translation, with the same placeholders."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from lounge import i18n

ROOT = Path(__file__).resolve().parent.parent
METHODS = [
    ("lounge/**.py", "python"),
    ("app.py", "python"),
    ("reports/**.py", "python"),
    ("lounge/web/templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _source_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def _catalog(language: str):
    path = ROOT / "lounge" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        return read_po(po_file, locale=language)


def _placeholders(text: str) -> list[str]:
    return sorted(set(re.findall(r"\{(\w+)\}", text)))


def test_every_source_string_has_a_hebrew_translation():
    catalog = _catalog("he")
    missing = []
    for message in _source_messages():
        entry = catalog.get(message if isinstance(message, str) else message[0])
        strings = entry.string if entry else None
        fuzzy = entry is not None and entry.fuzzy  # gettext ignores it: a merge may leave one
        if not strings or fuzzy or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message)
    assert missing == [], "run `make messages` and translate these in he/LC_MESSAGES/messages.po"


def test_translations_keep_the_placeholders():
    for entry in _catalog("he"):
        if not entry.id or isinstance(entry.id, tuple):
            continue
        assert _placeholders(entry.string) == _placeholders(entry.id), entry.id


def test_hebrew_is_active_only_inside_its_block():
    with i18n.use("he"):
        assert i18n._("Sign in") == "כניסה"
        assert i18n.is_rtl()
    assert i18n._("Sign in") == "Sign in"
    assert not i18n.is_rtl()


def test_arabic_preference_falls_back_to_english_until_it_has_a_catalog():
    with i18n.use("ar"):
        assert i18n.current() == "en"


@pytest.mark.parametrize(
    ("language", "expected_kwh", "expected_date"),
    [("en", "1,234,568 kWh", "23 Nov 2026"), ("he", '1,234,568 קוט"ש', "23 בנוב׳ 2026")],
)
def test_numbers_and_dates_follow_the_language(language, expected_kwh, expected_date):
    with i18n.use(language):
        assert i18n.format_kwh(1_234_567_890) == expected_kwh
        assert i18n.format_date(dt.date(2026, 11, 23)) == expected_date
        assert "1,234.50" in i18n.format_money(Decimal("1234.5"))
        assert "₪" in i18n.format_money(Decimal("1"))


def test_instants_are_shown_in_israel_time():
    instant = dt.datetime(2026, 7, 1, 21, 30, tzinfo=dt.UTC)
    with i18n.use("en"):
        assert "2 Jul 2026" in i18n.format_datetime(instant)
        assert "0:30" in i18n.format_datetime(instant)


def test_plural_forms():
    with i18n.use("he"):
        assert i18n.ngettext("{count} site", "{count} sites", 1).format(count=1) == "אתר אחד"
        assert i18n.ngettext("{count} site", "{count} sites", 3).format(count=3) == "3 אתרים"


@pytest.mark.parametrize(
    ("ratio", "english", "hebrew"),
    [
        (0.061, "▲ +6%", "\u2066▲ +6%\u2069"),
        (-0.03, "▼ \u22123%", "\u2066▼ \u22123%\u2069"),
        (0.004, "0%", "0%"),
    ],
)
def test_a_change_reads_the_same_way_in_both_languages(ratio, english, hebrew):
    with i18n.use("en"):
        assert i18n.format_change(ratio) == english
    with i18n.use("he"):
        assert i18n.format_change(ratio) == hebrew  # isolated, never "13%-"


def test_hebrew_names_sort_in_hebrew_order():
    from lounge.labels import REGIONS, label

    with i18n.use("he"):
        names = sorted((label(REGIONS, code) for code in REGIONS), key=i18n.sort_key)
    assert names == ["דרום", "חיפה", "ירושלים", "מרכז", "צפון", "תל אביב"]


def test_charts_speak_the_readers_language():
    from lounge.components.charts import graph_config

    with i18n.use("he"):
        config = graph_config()
    assert config["locale"] == "he"
    hebrew = config["locales"]["he"]
    assert hebrew["format"]["months"][0] == "ינואר"
    assert hebrew["format"]["days"][0] == "יום ראשון"  # Plotly's weeks start on Sunday
    assert hebrew["dictionary"]["Reset axes"] != "Reset axes"


def test_chart_units_and_hover_text_are_in_the_readers_language():
    """Every figure the pages draw: its hover text and axis say קוט"ש and קו"ט in Hebrew."""
    import datetime as dt

    import pandas as pd

    from lounge.components import charts

    def figures() -> list:
        month = pd.DataFrame({"month": [dt.date(2026, 1, 1)], "wh": [5_000], "estimated_wh": [0]})
        points = pd.DataFrame(
            {
                "start": [pd.Timestamp("2026-01-05 10:00", tz="Asia/Jerusalem")],
                "average_w": [1_500],
                "estimated": [False],
            }
        )
        return [
            charts.monthly_bars(month),
            charts.columns(["a"], {"s": [1_000]}, False),
            charts.columns(["a"], {"s": [1_000]}, False, unit="kW"),
            charts.stacked_by(month.assign(region="North"), "region"),
            charts.lines(["a"], {"s": [1_000]}, "kWh", {"t": 2_000}),
            charts.lines(["00:00"], {"s": [1_000]}, "kW"),
            charts.zoom_figure(points, "title"),
        ]

    for language, kwh, kw in (("en", " kWh<", " kW<"), ("he", ' קוט"ש<', ' קו"ט<')):
        with i18n.use(language):
            drawn = figures()
        hovers = [trace.hovertemplate for figure in drawn for trace in figure.data]
        assert all(kwh in text or kw in text for text in hovers), hovers
        assert sum(kw in text for text in hovers) == 3  # kW columns, kW lines, the zoom
        suffixes = {figure.layout.yaxis.ticksuffix for figure in drawn} - {None}
        assert suffixes == {kwh[:-1], kw[:-1]}
