"""A batch of letters as one PDF for printing: one letter a page, each in its reader's language.

The recipient's address sits where a window envelope shows it (DIN 5008 / C5-6: 90 x 45 mm, 45 mm
from the top edge, 20 mm from the side), on the left for letters in English and on the right for
letters in Hebrew, which fold into right-window envelopes. Each letter is laid out in its own
direction; page templates per direction carry the footer in that letter's language, so a batch
can mix languages and every page reads as a letter of its own (no "page 3 of 40").
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
)

from lounge import i18n
from lounge.company import COMPANY
from lounge.i18n import _
from reports import pdf
from reports.documents import LetterDocument
from reports.rtl import embed, visual

WIDTH, HEIGHT = A4
SIDE = 20 * mm
WINDOW_TOP = 45 * mm
WINDOW_WIDTH, WINDOW_HEIGHT = 90 * mm, 45 * mm
#: The letterhead flowable reaches from the frame's top to below the window.
HEAD_HEIGHT = WINDOW_TOP + WINDOW_HEIGHT - pdf.MARGIN + 8 * mm


Line = tuple[str, str, float]  # text, font, size


class _LetterHead(Flowable):
    """Company, date and reference, and the address in the envelope window, at fixed places.

    It is the first flowable of its page, so its top is the frame's top and the places below,
    measured from the page's edges, land where the envelope expects them. Its texts are made
    when it is created, in the letter's language (drawing happens later, outside it)."""

    def __init__(self, letter: LetterDocument, rtl: bool) -> None:
        super().__init__()
        self.rtl = rtl
        self.company: list[Line] = [
            (_(COMPANY.name), pdf.FONT_BOLD, 12),
            (_(COMPANY.address), pdf.FONT, 8),
            (_("Phone {phone}").format(phone=embed(COMPANY.phone)), pdf.FONT, 8),
            (COMPANY.website, pdf.FONT, 8),
        ]
        self.dated: list[Line] = [
            (i18n.format_date(letter.date), pdf.FONT, 9),
            (_("Ref. {reference}").format(reference=embed(letter.reference)), pdf.FONT, 7),
        ]
        self.address: list[Line] = [(line, pdf.FONT, 10) for line in letter.recipient]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, HEAD_HEIGHT

    def _draw(self, lines: Sequence[Line], from_side: float, from_top: float, start: bool) -> None:
        """Lines from ``from_top`` (mm from the page's top edge) down, their start (or end)
        ``from_side`` from the page's start (or end) edge."""
        on_right = self.rtl == start  # a Hebrew line starts on the right
        x = (WIDTH - from_side if on_right else from_side) - pdf.MARGIN
        y = HEAD_HEIGHT - (from_top - pdf.MARGIN)
        for value, font, size in lines:
            y -= size * 1.35
            self.canv.setFont(font, size)
            drawn = visual(value, self.rtl)
            if on_right:
                self.canv.drawRightString(x, y, drawn)
            else:
                self.canv.drawString(x, y, drawn)

    def draw(self) -> None:
        self.canv.setFillColor(pdf.BRAND)
        self._draw(self.company, SIDE, pdf.MARGIN, start=True)
        self.canv.setFillColor(pdf.MUTED)
        self._draw(self.dated, SIDE, pdf.MARGIN, start=False)
        self.canv.setFillColor(pdf.colors.black)
        self._draw(self.address, SIDE + 5 * mm, WINDOW_TOP + 5 * mm, start=True)


def _letter(letter: LetterDocument) -> list[Flowable]:
    st = pdf.styles(pdf.reads_rtl(letter.language))
    story: list[Flowable] = [
        _LetterHead(letter, st.rtl),
        pdf.text(letter.subject, st.heading, st.rtl),
    ]
    story.append(Spacer(1, 4 * mm))
    for paragraph in letter.body.split("\n\n"):
        story += [pdf.text(paragraph, st.body, st.rtl), Spacer(1, 3 * mm)]
    story += [Spacer(1, 6 * mm), pdf.text(_("The Business Lounge team"), st.strong, st.rtl)]
    return story


def _footer(language: str) -> Callable[[Canvas, BaseDocTemplate], None]:
    def draw(canvas: Canvas, _document: BaseDocTemplate) -> None:
        with i18n.use(language):
            rtl = pdf.reads_rtl(language)
            canvas.saveState()
            canvas.setFont(pdf.FONT, 7)
            canvas.setFillColor(pdf.MUTED)
            line = f"{_(COMPANY.name)}  ·  {_(COMPANY.address)}  ·  {COMPANY.email}"
            canvas.drawCentredString(WIDTH / 2, 12 * mm, visual(line, rtl))
            canvas.restoreState()

    return draw


def build_letters(letters: Sequence[LetterDocument]) -> bytes:
    """The PDF of ``letters``, one a page, in order."""
    pdf.register_fonts()
    buffer = io.BytesIO()
    frame = Frame(
        pdf.MARGIN,
        pdf.BOTTOM_MARGIN,
        WIDTH - 2 * pdf.MARGIN,
        HEIGHT - pdf.MARGIN - pdf.BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    # The first page takes the first template: the first letter's language goes first.
    first = letters[0].language if letters else "en"
    languages = sorted(
        {letter.language for letter in letters} | {first}, key=lambda code: code != first
    )
    templates = [
        PageTemplate(id=language, frames=[frame], onPage=_footer(language))
        for language in languages
    ]
    document = BaseDocTemplate(
        buffer, pagesize=A4, pageTemplates=templates, title=_("Letters"), author=_(COMPANY.name)
    )
    story: list[Flowable] = []
    for index, letter in enumerate(letters):
        with i18n.use(letter.language):
            if index:
                story += [NextPageTemplate(letter.language), PageBreak()]
            story += _letter(letter)
    document.build(story or [Spacer(1, 1)])
    return buffer.getvalue()
