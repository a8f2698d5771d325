"""Translation and locale-aware formatting (gettext catalogs through Babel).

The active language lives in a context variable: the web layer sets it for each
request from the signed-in user, the CLI and the PDF builders set it for the
reader they write for. Domain code just calls :func:`_` and the ``format_*``
helpers. Catalogs are the ``.po`` files under ``lounge/translations``; they are
compiled in memory on first use, so there is no build step to forget.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel import numbers as _babel_numbers
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency as _babel_currency
from babel.numbers import format_decimal as _babel_decimal
from babel.support import NullTranslations, Translations
from pyuca import Collator

from lounge.settings import CURRENCY, LANGUAGES, RTL_LANGUAGES, TIMEZONE

CATALOGS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
#: Babel locale used for formatting each UI language (Israeli conventions).
_FORMAT_LOCALES = {"en": "en_IL", "he": "he_IL"}

_active: ContextVar[str] = ContextVar("lounge_language", default="en")


def normalize(language: str | None) -> str:
    """A supported UI language for any stored preference (``ar`` falls back to English)."""
    return language if language in LANGUAGES else "en"


@cache
def translations(language: str) -> NullTranslations:
    po_path = CATALOGS / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def current() -> str:
    return _active.get()


def activate(language: str | None) -> object:
    """Make ``language`` active; returns a token for :func:`deactivate`."""
    return _active.set(normalize(language))


def deactivate(token: object) -> None:
    _active.reset(token)  # type: ignore[arg-type]


@contextmanager
def use(language: str | None) -> Iterator[str]:
    token = activate(language)
    try:
        yield current()
    finally:
        deactivate(token)


def is_rtl(language: str | None = None) -> bool:
    return (language or current()) in RTL_LANGUAGES


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


_ = gettext


@cache
def _collator() -> Collator:
    return Collator()


def sort_key(text: str) -> tuple[int, ...]:
    """Sort names as a dictionary of their language does (the Unicode collation
    algorithm): Hebrew names in Hebrew order once translated, not by their English code."""
    return _collator().sort_key(text)


def _locale() -> Locale:
    return _parsed_locale(current())


@cache
def _parsed_locale(language: str) -> Locale:
    return Locale.parse(_FORMAT_LOCALES[language])


@dataclass(frozen=True)
class _NumberStyle:
    """How Babel writes a number of one simple pattern (``#,##0.00``-like) in one locale,
    taken from Babel once so that each number is written by Python's own formatting:
    Babel spends some 10 µs looking the locale's symbols up again for every number."""

    prefixes: tuple[str, str]  # positive, negative
    suffixes: tuple[str, str]
    symbols: dict[int, str]  # Python's "," and "." to the locale's group and decimal signs

    @classmethod
    def of(cls, pattern: _babel_numbers.NumberPattern, locale: Locale) -> _NumberStyle | None:
        """None for a pattern this does not write as Babel does (Babel writes it then)."""
        if pattern.grouping != (3, 3) or pattern.int_prec[0] != 1 or pattern.scale != 0:
            return None
        if pattern.exp_prec or "@" in pattern.pattern:
            return None
        symbol = _babel_numbers.get_currency_symbol(CURRENCY, locale)

        def text(affix: str) -> str:
            for placeholder, value in (("¤¤¤", None), ("¤¤", CURRENCY), ("¤", symbol)):
                if placeholder in affix:
                    if value is None:
                        return "\0"  # a currency name by amount: not written here
                    affix = affix.replace(placeholder, value)
            return re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", affix)

        prefixes = (text(pattern.prefix[0]), text(pattern.prefix[1]))
        suffixes = (text(pattern.suffix[0]), text(pattern.suffix[1]))
        if "\0" in prefixes + suffixes:
            return None
        group = _babel_numbers.get_group_symbol(locale)
        decimal = _babel_numbers.get_decimal_symbol(locale)
        return cls(prefixes, suffixes, {ord(","): group, ord("."): decimal})

    def write(self, value: float | int | Decimal, decimals: int) -> str:
        exact = value if isinstance(value, Decimal) else Decimal(str(value))
        negative = int(exact.is_signed())
        rounded = abs(exact).quantize(_QUANTA[decimals])  # the context's rounding, as Babel's
        digits = f"{rounded:,f}".translate(self.symbols)
        return f"{self.prefixes[negative]}{digits}{self.suffixes[negative]}"


_QUANTA = tuple(Decimal(1).scaleb(-places) for places in range(10))


def _number_pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals else "")


@cache
def _number_style(language: str, decimals: int) -> _NumberStyle | None:
    pattern = _babel_numbers.parse_pattern(_number_pattern(decimals))
    return _NumberStyle.of(pattern, _parsed_locale(language))


@cache
def _money_style(language: str) -> _NumberStyle | None:
    locale = _parsed_locale(language)
    if _babel_numbers.get_currency_precision(CURRENCY) != 2:
        return None
    return _NumberStyle.of(locale.currency_formats["standard"], locale)


def format_number(value: float | int | Decimal, decimals: int = 0) -> str:
    style = _number_style(current(), decimals) if decimals < len(_QUANTA) else None
    if style is not None:
        return style.write(value, decimals)
    return _babel_decimal(value, format=_number_pattern(decimals), locale=_locale())


def format_kwh(wh: int | float) -> str:
    """Energy for people: whole kWh with grouping, e.g. ``1,000,000 kWh``."""
    return _("{value} kWh").format(value=format_number(round(wh / 1000)))


def format_percent(ratio: float, decimals: int = 0) -> str:
    return format_number(ratio * 100, decimals) + "%"


#: Unicode's left-to-right isolate and its end: a change reads "▼ −3%" inside Hebrew text
#: too, where the bidi algorithm would otherwise move the sign to the end ("3%-").
_LTR_ISOLATE, _END_ISOLATE = "\u2066", "\u2069"


def format_change(ratio: float, decimals: int = 0) -> str:
    """A relative change that reads one way in every language: ``▲ +6%``, ``▼ −3%``, ``0%``.

    The arrow and the sign say the direction twice, so neither a colour nor the
    reading direction is needed to tell a rise from a fall.
    """
    shown = format_percent(abs(ratio), decimals)
    if shown == format_percent(0, decimals):
        return shown
    text = f"▲ +{shown}" if ratio > 0 else f"▼ \u2212{shown}"
    return f"{_LTR_ISOLATE}{text}{_END_ISOLATE}" if is_rtl() else text


def format_money(amount: Decimal) -> str:
    style = _money_style(current())
    if style is not None:
        return style.write(amount, 2)
    return _babel_currency(amount, CURRENCY, locale=_locale())


def format_date(value: dt.date, length: str = "medium") -> str:
    return _date_text(value, length, current())


def format_month(value: dt.date) -> str:
    return _date_text(value, "MMM y", current())


@lru_cache(maxsize=4096)
def _date_text(value: dt.date, pattern: str, language: str) -> str:
    """Dates repeat (due dates, months of a table): each is written by Babel once."""
    return _babel_date(value, format=pattern, locale=_parsed_locale(language))


def format_datetime(value: dt.datetime, length: str = "medium") -> str:
    """An instant shown in Israel time, whatever zone it was stored in."""
    return _babel_datetime(value, format=length, tzinfo=TIMEZONE, locale=_locale())


def format_period(start: dt.date, end: dt.date) -> str:
    """Whole months [start, end) by their months: ``Oct 2026`` or ``Sep 2026 – Oct 2026``."""
    first, last = format_month(start), format_month(end - dt.timedelta(days=1))
    return first if first == last else f"{first} – {last}"


def format_time(value: dt.datetime, length: str = "short") -> str:
    """The clock time of an instant in Israel."""
    return _babel_time(value, format=length, tzinfo=TIMEZONE, locale=_locale())
