"""How a text message is cut into parts, and so what it costs.

Gateways bill per part. Text that fits the GSM 03.38 alphabet travels in 7-bit septets: 160
in a single part, 153 per part once concatenated (the user data header takes the rest). Any
other character (Hebrew, Arabic, emoji) turns the whole message into UCS-2: 70 UTF-16 code units
in a single part, 67 per part. Characters of the GSM extension table (``{ } [ ] ~ \\ | ^ €``)
take two septets, an escape and the character, and a handset cannot join a pair split across
parts; nor a surrogate pair (an emoji) in UCS-2. The split below therefore walks whole
characters, so the count it gives is the count a gateway bills.

The GSM alphabet and its extension table come from the ``gsm0338`` codec rather than a table
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

Encoding = Literal["GSM-7", "UCS-2"]

#: (units in a single part, units per part of a concatenated message)
LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class Segments:
    """A message as the gateway will send it: its encoding and its parts, in order."""

    encoding: Encoding
    parts: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.parts)


ESCAPE = 0x1B


def _alphabet() -> tuple[frozenset[str], frozenset[str]]:
    """The GSM 03.38 basic characters (one septet) and extension characters (escape + one),
    read once from the codec's decoding table: encoding with the pure-Python codec per message
    would cost a millisecond a text."""
    basic = {bytes([code]).decode("gsm03.38") for code in range(128) if code != ESCAPE}
    extension = set()
    for code in range(128):
        try:
            character = bytes([ESCAPE, code]).decode("gsm03.38")
        except UnicodeDecodeError:
            continue
        if len(character) == 1 and character not in basic:
            extension.add(character)
    return frozenset(basic), frozenset(extension)


BASIC, EXTENSION = _alphabet()
GSM = BASIC | EXTENSION


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character has a GSM 03.38 code, UCS-2 otherwise."""
    return "GSM-7" if GSM.issuperset(text) else "UCS-2"


def _units(character: str, encoding: Encoding) -> int:
    if encoding == "GSM-7":
        return 2 if character in EXTENSION else 1
    return 2 if ord(character) > 0xFFFF else 1


def segment(text: str) -> Segments:
    """Cut ``text`` into the parts a gateway sends (an empty text is one empty part)."""
    encoding = encoding_of(text)
    single, per_part = LIMITS[encoding]
    sizes = [_units(character, encoding) for character in text]
    if sum(sizes) <= single:
        return Segments(encoding, (text,))
    parts: list[str] = []
    start, used = 0, 0
    for index, size in enumerate(sizes):
        if used + size > per_part:
            parts.append(text[start:index])
            start, used = index, 0
        used += size
    parts.append(text[start:])
    return Segments(encoding, tuple(parts))
