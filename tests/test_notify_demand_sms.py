"""Every notice's text message is one part, in English (GSM-7, 160) and Hebrew (UCS-2, 70)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from db.models import NoticeKind
from lounge.demand.links import Links
from lounge.notify import demand as messages
from lounge.notify import sms
from lounge.notify.demand import About
from lounge.settings import TIMEZONE

#: A notice id and a contact id as a busy year makes them, under a company's address.
LINK = Links("https://lounge.example", "a secret").ack(1234, "C100234", 123456)
LEVELS = {NoticeKind.PEAK_WARNING: 3}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TIMEZONE).astimezone(dt.UTC)


def about(kind: str, starts_at: dt.datetime, ends_at: dt.datetime) -> About:
    return About(
        kind,
        LEVELS.get(kind),
        "heat" if kind == NoticeKind.PEAK_WARNING else None,
        starts_at,
        ends_at,
        1500,
        None,
        "A note that only the e-mail carries.",
        "Very Long Customer Name Industries Ltd",
        ("Store 12", "Store 14", "Store 15", "Store 16"),
        LINK,
    )


EVERY = list(itertools.product(NoticeKind, messages.KINDS_OF_MESSAGE, ("en", "he")))


def test_the_link_is_as_short_as_a_hebrew_message_needs():
    assert len(LINK) <= 40 and LINK.startswith("https://lounge.example/a/")


@pytest.mark.parametrize(("kind", "message", "language"), EVERY)
def test_one_part_with_the_kind_the_whole_window_and_the_link(kind, message, language):
    # a window of whole hours on a two-digit day of a two-digit month
    text = messages.rendered_for(
        message, language, "Dana", about(kind, local(2026, 12, 24, 14), local(2026, 12, 24, 18))
    ).sms
    parts = sms.segment(text)
    assert parts.count == 1, (len(text), text)
    assert parts.encoding == ("GSM-7" if language == "en" else "UCS-2")
    assert text.endswith(LINK)
    assert ("24 Dec 14:00-18:00" if language == "en" else "24.12 14-18") in text
    short = {
        ("en", NoticeKind.PEAK_WARNING): "Peak load, level 3",
        ("en", NoticeKind.POSSIBLE_OUTAGE): "Possible outage",
        ("en", NoticeKind.PLANNED_OUTAGE): "Planned power cut",
        ("en", NoticeKind.EMERGENCY_OUTAGE): "EMERGENCY OUTAGE",
        ("he", NoticeKind.PEAK_WARNING): "עומס שיא 3",
        ("he", NoticeKind.POSSIBLE_OUTAGE): "חשש להפסקה",
        ("he", NoticeKind.PLANNED_OUTAGE): "הפסקה יזומה",
        ("he", NoticeKind.EMERGENCY_OUTAGE): "הפסקת חירום",
    }
    assert short[language, kind] in text


@pytest.mark.parametrize(("kind", "message", "language"), EVERY)
def test_a_window_too_long_for_one_part_keeps_its_start(kind, message, language):
    # works over two days, with minutes: in Hebrew the message gives the start (or the day)
    window = about(kind, local(2026, 12, 24, 7, 30), local(2026, 12, 25, 16, 30))
    text = messages.rendered_for(message, language, "Dana", window).sms
    assert sms.segment(text).count == 1, (len(text), text)
    assert text.endswith(LINK)
    assert ("24 Dec 07:30-25 Dec 16:30" if language == "en" else "24.12") in text
