"""Right-to-left text for output that has no bidirectional algorithm of its own.

reportlab (and a spreadsheet's number format) draws characters in the order
given. :func:`visual` gives that order for a logical string, with python-bidi:
Hebrew runs reversed, numbers and Latin kept, brackets mirrored, and the
invisible directional marks dropped (the fonts have no glyph for them).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bidi.algorithm import get_display

#: Directional marks that Babel puts around Hebrew numbers and :func:`embed` adds.
#: They steer the bidi algorithm but are never printed or written to a file.
BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
#: Hebrew and Arabic letters: only strings with one of these need reordering.
_RTL_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_LRE, _RLE, _PDF = "\u202a", "\u202b", "\u202c"


def unmarked(text: str) -> str:
    """``text`` without invisible directional marks (for files and comparisons)."""
    return BIDI_MARKS.sub("", text)


def starts_rtl(text: str) -> bool:
    """Whether ``text``'s first strongly directional character is right-to-left.

    That is the direction a field takes on its own (the bidi algorithm's rule
    P2); a right-to-left mark counts, so Babel's Hebrew ``1,234.50 ₪`` reads
    with the shekel sign after the number, on its left.
    """
    for char in text:
        direction = unicodedata.bidirectional(char)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


@lru_cache(maxsize=8192)
def _reorder(text: str, base_dir: str) -> str:
    """python-bidi's pure-Python algorithm: it mirrors brackets and honours embeddings.

    (Its faster Rust twin in 0.6 does not mirror ``(`` in Hebrew runs.) Labels,
    month names and amounts repeat from document to document, hence the cache.
    """
    shown = get_display(text, base_dir=base_dir)
    assert isinstance(shown, str)
    return unmarked(shown)


def visual(text: str, rtl: bool | None = None) -> str:
    """``text`` in the left-to-right order reportlab draws it.

    ``rtl`` is the paragraph direction: the document's for translated labels and
    sentences, ``None`` for a data value (a name, a number, an id), which takes
    the direction of its first letter, so ``INV-7`` or ``*5050`` stay as written
    inside a Hebrew page.
    """
    if rtl is None:
        rtl = starts_rtl(text)
    if not rtl and not _RTL_LETTERS.search(text):
        return unmarked(text)
    return _reorder(text, "R" if rtl else "L")


def embed(value: str) -> str:
    """A data value to put into a translated sentence, kept in its own direction.

    Without it a phone number ``*5050`` after a Hebrew word would print as
    ``5050*``. The embedding marks are removed when the text is drawn.
    """
    return (_RLE if starts_rtl(value) else _LRE) + value + _PDF
