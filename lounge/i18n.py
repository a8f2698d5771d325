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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
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
    return Locale.parse(_FORMAT_LOCALES[current()])


def format_number(value: float | int | Decimal, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return _babel_decimal(value, format=pattern, locale=_locale())


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
    return _babel_currency(amount, CURRENCY, locale=_locale())


def format_date(value: dt.date, length: str = "medium") -> str:
    return _babel_date(value, format=length, locale=_locale())


def format_month(value: dt.date) -> str:
    return _babel_date(value, format="MMM y", locale=_locale())


def format_datetime(value: dt.datetime, length: str = "medium") -> str:
    """An instant shown in Israel time, whatever zone it was stored in."""
    return _babel_datetime(value, format=length, tzinfo=TIMEZONE, locale=_locale())


def format_time(value: dt.datetime, length: str = "short") -> str:
    """The clock time of an instant in Israel."""
    return _babel_time(value, format=length, tzinfo=TIMEZONE, locale=_locale())
