"""What every PDF document shares: fonts, right-to-left text, styles, tables, charts, pages.

The builders (:mod:`reports.bill`, :mod:`reports.receipt`, :mod:`reports.report`)
only decide what goes where; how a string is ordered, wrapped, aligned and
mirrored for Hebrew is decided here, once.

Right-to-left: reportlab draws glyphs in the order it is given and has no
bidirectional algorithm, so every string goes through :func:`visual` (python-bidi)
before it is drawn, lines are broken in logical order first (:class:`BidiText`),
labels sit on the right, table columns run right to left and charts are
mirrored. The fonts are DejaVu Sans (``assets/fonts``), which has Latin, Hebrew
and the shekel sign; reportlab embeds only the glyphs a document uses.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Any

from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.textsplit import wordSplit
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lounge import i18n
from lounge.company import COMPANY
from lounge.i18n import _
from reports.rtl import embed, starts_rtl, unmarked, visual

FONTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
#: Narrower faces of the same family for dense report tables (a year of months side by side).
FONT_CONDENSED = "DejaVuSansCondensed"
FONT_CONDENSED_BOLD = "DejaVuSansCondensed-Bold"

BRAND = colors.HexColor("#1F3A5F")
ACCENT = colors.HexColor("#E08A1E")
MUTED = colors.HexColor("#5B6770")
RULE = colors.HexColor("#C9D1D9")
ZEBRA = colors.HexColor("#F2F5F8")
#: Colours of a chart's series, in order.
SERIES = (BRAND, ACCENT, colors.HexColor("#4F9D69"), colors.HexColor("#8E5EA2"))
#: A waterfall's steps up and down (a bill's cost rising is the bad news, as on the screen).
RISE, FALL = colors.HexColor("#C44E52"), SERIES[2]

MARGIN = 15 * mm
#: Room under the frame for the footer line.
BOTTOM_MARGIN = 20 * mm
CELL_PADDING = 4
#: Above and below a table cell's text.
CELL_V_PADDING = 2.5


@cache
def register_fonts() -> None:
    """Register the TrueType fonts with reportlab, once per process."""
    for name in (FONT, FONT_BOLD, FONT_CONDENSED, FONT_CONDENSED_BOLD):
        font = TTFont(name, str(FONTS_DIR / f"{name}.ttf"))
        font.face.addSubsetObjects = partial(_embed_subset, font.face)
        pdfmetrics.registerFont(font)


@lru_cache(maxsize=64)
def _font_program(face: TTFontFace, subset: tuple[int, ...]) -> tuple[bytes, int]:
    """The compressed TrueType program of ``subset`` of ``face``'s glyphs, and its length
    before compression.

    Cutting a subset out of the font and compressing it was half the time of a one-page
    document (4 of 9 ms: four faces of some 30 KB each), and the result depends only on the
    glyphs and their order, which reportlab fixes for the whole of ASCII and hands out to the
    rest in order of first use: documents made from one template (a welcome letter to each
    customer) repeat the same few subsets."""
    program = face.makeSubset(list(subset))
    return zlib.compress(program), len(program)


def _embed_subset(face: TTFontFace, doc: Any, fontname: str, subset: list[int]) -> Any:
    """reportlab's ``TTFontFace.addSubsetObjects`` with the font program of
    :func:`_font_program`: the same objects, the stream already compressed."""
    compressed, length = _font_program(face, tuple(subset))
    program = pdfdoc.PDFStream(content=compressed)
    program.dictionary["Length1"] = length
    program.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    program_ref = doc.Reference(program, f"fontFile:{face.filename}({fontname})")
    descriptor = pdfdoc.PDFDictionary(
        {
            "Type": "/FontDescriptor",
            "Ascent": face.ascent,
            "CapHeight": face.capHeight,
            "Descent": face.descent,
            "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(fontname),
            "ItalicAngle": face.italicAngle,
            "StemV": face.stemV,
            "FontFile2": program_ref,
            "MissingWidth": face.defaultWidth,
        }
    )
    return doc.Reference(descriptor, "fontDescriptor:" + fontname)


# --- text blocks -------------------------------------------------------------


class BidiText(Flowable):
    """A block of plain text, wrapped in logical order, then each line reordered.

    reportlab's ``Paragraph`` would wrap an already reordered Hebrew string from
    its visual start, putting the end of a sentence on the first line.
    """

    def __init__(self, text: str, style: ParagraphStyle, rtl: bool | None = None) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self.rtl = starts_rtl(text) if rtl is None else rtl
        self.lines: list[str] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.lines = wrapped(self.text, self.style, avail_width, self.rtl)
        self.width = avail_width
        self.height = len(self.lines) * self.style.leading
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        style = self.style
        canvas.setFont(style.fontName, style.fontSize)
        canvas.setFillColor(style.textColor)
        # The baseline sits a fifth of the leading above the line's bottom (room for descenders).
        baseline = self.height - style.leading * 0.8
        for line in self.lines:
            if style.alignment == TA_RIGHT:
                canvas.drawRightString(self.width, baseline, line)
            elif style.alignment == TA_CENTER:
                canvas.drawCentredString(self.width / 2, baseline, line)
            else:
                canvas.drawString(0, baseline, line)
            baseline -= style.leading


def wrapped(text: str, style: ParagraphStyle, width: float, rtl: bool) -> list[str]:
    """``text``'s lines within ``width``, broken in logical order, each then in visual order."""
    font, size = style.fontName, style.fontSize
    if "\n" not in text and pdfmetrics.stringWidth(text, font, size) <= width:
        return [visual(text, rtl)]  # most cells: one measure instead of one per word
    logical = [
        piece
        for line in simpleSplit(text, font, size, width)
        for piece in _fit(line, font, size, width)
    ]
    return [visual(line, rtl) for line in logical] or [""]


def _fit(line: str, font: str, size: float, width: float) -> list[str]:
    """A line still too wide holds a word with nowhere to break (a payment reference):
    split it between letters rather than let it run out of its box."""
    if pdfmetrics.stringWidth(line, font, size) <= width:
        return [line]
    return [part for _width, part in wordSplit(line, width, font, size)]


# --- styles -----------------------------------------------------------------------


@dataclass(frozen=True)
class Styles:
    """Text styles of one direction: ``start`` is the side a line begins on."""

    rtl: bool
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    strong: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_head: ParagraphStyle

    @property
    def start(self) -> int:
        return TA_RIGHT if self.rtl else TA_LEFT

    @property
    def end(self) -> int:
        return TA_LEFT if self.rtl else TA_RIGHT

    @property
    def numbers(self) -> int:
        """Figures align on their last digit in both directions, so columns of amounts
        line up (digits run left to right in Hebrew too)."""
        return TA_RIGHT

    def aligned(self, style: ParagraphStyle, alignment: int) -> ParagraphStyle:
        return _aligned(style, alignment)


@cache
def _aligned(style: ParagraphStyle, alignment: int) -> ParagraphStyle:
    """``style`` aligned otherwise (styles live as long as the process, so this is bounded)."""
    return ParagraphStyle(f"{style.name}-{alignment}", parent=style, alignment=alignment)


def _style(
    name: str,
    size: float,
    *,
    bold: bool = False,
    font: str | None = None,
    color: Any = colors.black,
    alignment: int = TA_LEFT,
) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=font or (FONT_BOLD if bold else FONT),
        fontSize=size,
        leading=size * 1.3,
        textColor=color,
        alignment=alignment,
    )


@cache
def styles(rtl: bool, compact: bool = False) -> Styles:
    """The document styles, every one aligned to the start of a line in its direction.

    ``compact`` sets table cells in the condensed face, for reports with many columns.
    """
    register_fonts()
    start = TA_RIGHT if rtl else TA_LEFT
    cell, cell_bold = (FONT_CONDENSED, FONT_CONDENSED_BOLD) if compact else (FONT, FONT_BOLD)
    return Styles(
        rtl=rtl,
        title=_style("title", 15, bold=True, color=BRAND, alignment=start),
        heading=_style("heading", 11, bold=True, color=BRAND, alignment=start),
        body=_style("body", 9, alignment=start),
        small=_style("small", 7.5, color=MUTED, alignment=start),
        label=_style("label", 8, color=MUTED, alignment=start),
        value=_style("value", 8.5, alignment=start),
        strong=_style("strong", 9.5, bold=True, alignment=start),
        cell=_style("cell", 8, font=cell, alignment=start),
        cell_bold=_style("cell-bold", 8, font=cell_bold, alignment=start),
        cell_head=_style("cell-head", 8, font=cell_bold, color=colors.white, alignment=start),
    )


def text(value: str, style: ParagraphStyle, rtl: bool | None = None) -> BidiText:
    """A text block; ``rtl`` is the document's direction for labels, ``None`` for data."""
    return BidiText(value, style, rtl)


def left_to_right(cells: Sequence[Any], rtl: bool) -> list[Any]:
    """Cells given in reading order, as placed from the left: reversed in Hebrew."""
    return list(reversed(cells)) if rtl else list(cells)


# --- tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: its header and whether its cells are numbers (aligned at the end)."""

    label: str
    numeric: bool = False


def _widest(texts: Sequence[str], font: str, size: float) -> float:
    return max((pdfmetrics.stringWidth(t, font, size) for t in texts), default=0.0)


def _longest_word(texts: Sequence[str], font: str, size: float) -> float:
    return _widest([word for t in texts for word in t.split()], font, size)


@dataclass(frozen=True)
class ColumnWidths:
    """What a column would like (no wrapping) and the least it can take (wrapping words)."""

    natural: float
    least: float


def measure(column: Column, cells: Sequence[str], st: Styles) -> ColumnWidths:
    """Numbers never wrap; text and headers may wrap between words."""
    size = st.cell.fontSize
    bold, regular = st.cell_bold.fontName, st.cell.fontName
    pad = 2 * CELL_PADDING
    content = _widest(cells, bold, size)
    header = _widest([column.label], bold, size)
    header_word = _longest_word([column.label], bold, size)
    least_content = content if column.numeric else min(content, _longest_word(cells, regular, size))
    return ColumnWidths(
        natural=max(content, header) + pad,
        least=max(least_content, header_word, 12) + pad,
    )


def fit_widths(widths: Sequence[ColumnWidths], total: float) -> list[float]:
    """Column widths that fill ``total``: slack is shared out, a shortfall wraps text first.

    The shape of a browser's automatic table layout: each column gets its least
    width plus a share of the room left in proportion to how much more it would
    like; only when even the least widths do not fit is everything scaled down.
    """
    natural = sum(w.natural for w in widths)
    least = sum(w.least for w in widths)
    if natural <= total:
        return [w.natural * total / natural for w in widths]
    if least >= total:
        return [w.least * total / least for w in widths]
    share = (total - least) / (natural - least)
    return [w.least + (w.natural - w.least) * share for w in widths]


def data_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: float,
    st: Styles,
    totals: Sequence[str] | None = None,
    widths: Sequence[float] | None = None,
) -> Table:
    """A table with a repeated header row, banded rows and an optional bold totals row.

    Cells are display strings in the columns' logical order; in Hebrew the
    columns are laid out right to left. Long tables split across pages.

    Each cell is wrapped here, as :class:`BidiText` would wrap it, and handed to
    the table as plain lines that the table's style sets in its font: a table of
    forty sites by twelve months is thousands of cells, and a flowable per cell
    (measured, wrapped and drawn on its own) was most of a report's drawing time.
    """
    all_rows = [*rows, *([totals] if totals is not None else [])]
    if widths is None:
        widths = fit_widths(
            [measure(c, [r[i] for r in all_rows], st) for i, c in enumerate(columns)], width
        )
    room = [w - 2 * CELL_PADDING for w in widths]

    def cells(texts: Sequence[str], style: ParagraphStyle, rtl: bool | None = None) -> list[str]:
        return [
            "\n".join(wrapped(t, style, w, starts_rtl(t) if rtl is None else rtl))
            for t, w in zip(texts, room, strict=True)
        ]

    body = [cells([c.label for c in columns], st.cell_head, st.rtl)]
    body += [cells(row, st.cell) for row in rows]
    if totals is not None:
        body.append(cells(totals, st.cell_bold))
    table = Table(
        [left_to_right(r, st.rtl) for r in body],
        colWidths=left_to_right(widths, st.rtl),
        repeatRows=1,
    )
    aligns = left_to_right([st.numbers if c.numeric else st.start for c in columns], st.rtl)
    table.setStyle(_table_style(len(rows), totals is not None, st, aligns))
    return table


_ALIGN = {TA_LEFT: "LEFT", TA_RIGHT: "RIGHT", TA_CENTER: "CENTRE"}


def _table_style(rows: int, has_totals: bool, st: Styles, aligns: Sequence[int]) -> TableStyle:
    """Colours, rules and the cells' fonts: the header in the head style, the body in the
    cell style, a totals row in bold; ``aligns`` of the columns as placed from the left."""
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_V_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_V_PADDING),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ]
    fonts = [(st.cell, (0, 1))]
    if has_totals:
        fonts.append((st.cell_bold, (0, -1)))
    fonts.append((st.cell_head, (0, 0)))  # last: a table of no rows has the header only
    for style, (first, row) in fonts:
        cells = ((first, row), (-1, -1 if row == 1 else row))
        commands += [
            ("FONT", *cells, style.fontName, style.fontSize, style.leading),
            ("TEXTCOLOR", *cells, style.textColor),
        ]
    commands += [("ALIGN", (i, 0), (i, -1), _ALIGN[a]) for i, a in enumerate(aligns)]
    commands += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, rows + 1, 2)]
    if has_totals:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, BRAND))
    return TableStyle(commands)


def field_grid(
    fields: Sequence[tuple[str, str]], width: float, st: Styles, label_share: float = 0.42
) -> Table:
    """Label / value pairs one under the other, labels on the side a line starts.

    A field with no value (no address on file) is left out rather than printed empty.
    """
    label_width = width * label_share
    rows = [
        left_to_right(
            [text(label, st.label, st.rtl), text(value, st.aligned(st.value, st.start))], st.rtl
        )
        for label, value in fields
        if value
    ]
    table = Table(rows, colWidths=left_to_right([label_width, width - label_width], st.rtl))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def side_by_side(
    start: Flowable,
    end: Flowable,
    width: float,
    st: Styles,
    start_share: float = 0.5,
    gap: float = 6 * mm,
) -> Table:
    """Two blocks next to each other; the first on the side a reader starts from."""
    start_width = (width - gap) * start_share
    cells = left_to_right([start, "", end], st.rtl)
    widths = left_to_right([start_width, gap, width - gap - start_width], st.rtl)
    table = Table([cells], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def boxed(content: Flowable, title: str, width: float, st: Styles) -> Table:
    """A titled panel (customer, invoice details) with a thin frame."""
    table = Table([[text(title, st.heading, st.rtl)], [content]], colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def amounts_block(lines: Sequence[tuple[str, str, bool]], width: float, st: Styles) -> Table:
    """Label / amount lines (subtotal, VAT, total) aligned at the end of the page.

    Each line is ``(label, amount, bold)``; a bold line gets a rule above it.
    """
    label_width, amount_width = width * 0.6, width * 0.4
    rows = []
    bold_rows = []
    for index, (label, amount, bold) in enumerate(lines):
        style = st.cell_bold if bold else st.cell
        rows.append(
            left_to_right(
                [
                    text(label, st.aligned(style, st.start), st.rtl),
                    text(amount, st.aligned(style, st.numbers)),
                ],
                st.rtl,
            )
        )
        if bold:
            bold_rows.append(index)
    table = Table(
        rows,
        colWidths=left_to_right([label_width, amount_width], st.rtl),
        hAlign="LEFT" if st.rtl else "RIGHT",
    )
    commands: list[tuple[Any, ...]] = [
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands += [("LINEABOVE", (0, r), (-1, r), 0.75, BRAND) for r in bold_rows]
    table.setStyle(TableStyle(commands))
    return table


def company_header(
    document_title: str, document_lines: Sequence[str], width: float, st: Styles
) -> list[Flowable]:
    """The issuer (name, address, tax id, phone, website) facing the document's title."""
    company = [
        text(_(COMPANY.name), st.strong, st.rtl),
        text(_(COMPANY.address), st.small, st.rtl),
        text(_("Tax ID {tax_id}").format(tax_id=embed(COMPANY.tax_id)), st.small, st.rtl),
        text(_("Phone {phone}").format(phone=embed(COMPANY.phone)), st.small, st.rtl),
        text(COMPANY.website, st.small),
    ]
    title = [text(document_title, st.aligned(st.title, st.end), st.rtl)]
    title += [text(line, st.aligned(st.body, st.end), st.rtl) for line in document_lines]
    return [
        side_by_side(_stack(company), _stack(title), width, st, start_share=0.42),
        Spacer(1, 2 * mm),
        _Rule(width),
        Spacer(1, 4 * mm),
    ]


def _stack(flowables: Sequence[Flowable]) -> Table:
    """Flowables one under the other inside a table cell."""
    table = Table([[f] for f in flowables])
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


class _Rule(Flowable):
    """A full-width line under the header."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width = width
        self.height = 1.5

    def draw(self) -> None:
        self.canv.setStrokeColor(BRAND)
        self.canv.setLineWidth(1.5)
        self.canv.line(0, 0, self.width, 0)


# --- charts -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartData:
    """Bars to draw: labels of the categories, then one list of values per series."""

    categories: Sequence[str]
    series: Sequence[Sequence[float]]
    names: Sequence[str] = ()
    stacked: bool = False
    #: Categories drawn in the accent colour (the billed months on a bill).
    highlight: frozenset[int] = frozenset()


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from at most ``low`` to at least ``high``, about ``count`` steps apart."""
    span = (high - low) or abs(high) or 1.0
    rough = span / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    first = math.floor(low / step) * step
    steps = max(math.ceil((high - first) / step - 1e-9), 1)  # an axis, even of zeros
    return [first + n * step for n in range(steps + 1)]


def bar_chart(
    data: ChartData, width: float, height: float, st: Styles, value_label: Callable[[float], str]
) -> Drawing:
    """A small bar chart; in Hebrew time runs right to left and the value axis is on the right.

    Drawn with plain shapes: reportlab's chart widgets took several milliseconds a chart
    (a meeting pack has six), most of it resolving their attributes.
    """
    legend_height = 14 if data.names else 0
    drawing = Drawing(width, height)
    heights = [
        sum(column) if data.stacked else max(column, default=0)
        for column in zip(*data.series, strict=True)
    ]
    ticks = _ticks(0.0, max(heights, default=0.0) or 1.0)
    labels = [visual(value_label(tick)) for tick in ticks]
    axis_room = max(pdfmetrics.stringWidth(label, FONT, 7) for label in labels)
    left = 4 if st.rtl else axis_room + 10
    bottom = 22.0
    plot_width = width - axis_room - 16
    plot_height = height - bottom - 6 - legend_height
    right = left + plot_width

    def y(value: float) -> float:
        return bottom + value / ticks[-1] * plot_height

    axis_x = right if st.rtl else left
    for tick, label in zip(ticks, labels, strict=True):
        drawing.add(Line(left, y(tick), right, y(tick), strokeColor=RULE, strokeWidth=0.5))
        drawing.add(
            Line(axis_x, y(tick), axis_x + (3 if st.rtl else -3), y(tick), strokeColor=MUTED)
        )
        drawing.add(
            String(
                axis_x + (5 if st.rtl else -5),
                y(tick) - 2.5,
                label,
                fontName=FONT,
                fontSize=7,
                textAnchor="start" if st.rtl else "end",
            )
        )
    drawing.add(Line(axis_x, bottom, axis_x, bottom + plot_height, strokeColor=MUTED))
    drawing.add(Line(left, bottom, right, bottom, strokeColor=MUTED))
    count = len(data.categories)
    slot = plot_width / max(count, 1)
    room = slot - _GROUP_SPACING
    bars = 1 if data.stacked else len(data.series)
    bar_width = (room - (bars - 1) * _BAR_SPACING) / max(bars, 1)
    for n, category in enumerate(data.categories):
        place = count - 1 - n if st.rtl else n
        start = left + place * slot + _GROUP_SPACING / 2
        for line, text_line in enumerate(category.split("\n")):
            drawing.add(
                String(
                    start + room / 2,
                    bottom - 10 - line * 7.5,
                    visual(text_line),
                    fontName=FONT,
                    fontSize=6.5,
                    textAnchor="middle",
                )
            )
        base = 0.0
        for index, series in enumerate(data.series):
            value = series[n]
            colour = ACCENT if index == 0 and n in data.highlight else SERIES[index]
            x = start if data.stacked else start + index * (bar_width + _BAR_SPACING)
            if value > 0:
                drawing.add(
                    Rect(
                        x,
                        y(base),
                        bar_width,
                        y(base + value) - y(base),
                        fillColor=colour,
                        strokeColor=None,
                    )
                )
            if data.stacked:
                base += value
    if data.names:
        drawing.add(_legend(list(zip(SERIES, data.names, strict=False)), width, height, st))
    return drawing


#: Bar geometry: the room between categories, between the bars of one category.
_GROUP_SPACING, _BAR_SPACING = 4.0, 1.0


#: Legend geometry: swatch side, gap from a swatch to its name, gap between entries.
_SWATCH, _NAME_GAP, _ENTRY_GAP = 7.0, 3.0, 12.0


def _legend(entries: Sequence[tuple[Any, str]], width: float, height: float, st: Styles) -> Group:
    """``(colour, name)`` entries above the plot, from the reader's side, each name next to
    its own swatch.

    Drawn entry by entry rather than with reportlab's ``Legend``: its columns put a
    right-to-left name right beside the next series' swatch, so the Hebrew legend
    paired every name with the wrong colour.
    """
    group = Group()
    y = height - _SWATCH - 1
    edge = width if st.rtl else 0.0  # where the next entry starts, on the reader's side
    step = -1 if st.rtl else 1
    for colour, name in entries:
        shown = visual(name)
        swatch_x = edge - _SWATCH if st.rtl else edge
        name_x = edge + step * (_SWATCH + _NAME_GAP)
        group.add(Rect(swatch_x, y, _SWATCH, _SWATCH, fillColor=colour, strokeColor=None))
        group.add(
            String(
                name_x,
                y + 1,
                shown,
                fontName=FONT,
                fontSize=7,
                textAnchor="end" if st.rtl else "start",
            )
        )
        entry = _SWATCH + _NAME_GAP + pdfmetrics.stringWidth(shown, FONT, 7) + _ENTRY_GAP
        edge += step * entry
    return group


# --- waterfall -----------------------------------------------------------------------


@dataclass(frozen=True)
class Waterfall:
    """A start total, the steps that move it up or down, and the end total it comes to.

    ``categories`` and ``texts`` (the amounts as shown) run over all the bars: the start,
    each step, the end. ``names`` label the legend: a rise, a fall, a total.
    """

    categories: Sequence[str]
    start: float
    steps: Sequence[float]
    end: float
    texts: Sequence[str]
    names: tuple[str, str, str]


@dataclass(frozen=True)
class WaterfallBar:
    """One bar, from ``low`` to ``high`` on the value axis; ``kind`` is total, rise or fall."""

    low: float
    high: float
    kind: str


def waterfall_bars(data: Waterfall) -> list[WaterfallBar]:
    """The bars: the start from zero, each step from where the one before ended, the end
    from zero. Rounding aside, the last step ends at the end total."""
    bars = [WaterfallBar(min(0.0, data.start), max(0.0, data.start), "total")]
    level = data.start
    for step in data.steps:
        bars.append(
            WaterfallBar(
                min(level, level + step), max(level, level + step), "rise" if step > 0 else "fall"
            )
        )
        level += step
    bars.append(WaterfallBar(min(0.0, data.end), max(0.0, data.end), "total"))
    return bars


#: Waterfall geometry: a row per bar, a bar's thickness, the room under the plot for ticks.
_ROW, _BAR, _AXIS_ROOM = 15.0, 9.0, 14.0


def waterfall_chart(
    data: Waterfall, width: float, st: Styles, value_label: Callable[[float], str]
) -> Drawing:
    """A horizontal waterfall, the start at the top and the end at the bottom (as on the
    screen, and long causes read beside their bars). The causes sit on the side a line
    starts, beside the plot: on the left, on the right in Hebrew; amounts grow to the right
    in both directions, as figures read."""
    bars = waterfall_bars(data)
    legend_height = 14.0
    top = len(bars) * _ROW + _AXIS_ROOM
    drawing = Drawing(width, top + legend_height + 4)
    label_room = min(max(pdfmetrics.stringWidth(t, FONT, 7) for t in data.categories), width * 0.4)
    gap = 6.0
    plot_left, plot_right = (0.0, width - label_room - gap) if st.rtl else (label_room + gap, width)
    ticks = _ticks(min(b.low for b in bars), max(b.high for b in bars))
    low, high = ticks[0], ticks[-1]
    # room for the amounts beside the bars, at both ends
    text_room = max(pdfmetrics.stringWidth(t, FONT, 6.5) for t in data.texts) + 3
    inner_left, inner_right = plot_left + text_room, plot_right - text_room

    def x(value: float) -> float:
        return inner_left + (value - low) / (high - low) * (inner_right - inner_left)

    for tick in ticks:
        drawing.add(Line(x(tick), _AXIS_ROOM, x(tick), top, strokeColor=RULE, strokeWidth=0.5))
        drawing.add(_small(x(tick), _AXIS_ROOM - 9, value_label(tick), "middle"))
    drawing.add(Line(x(0.0), _AXIS_ROOM, x(0.0), top, strokeColor=MUTED, strokeWidth=0.6))
    colour = {"total": BRAND, "rise": RISE, "fall": FALL}
    for n, (bar, label, amount) in enumerate(zip(bars, data.categories, data.texts, strict=True)):
        middle = top - (n + 0.5) * _ROW
        left, right = x(bar.low), x(bar.high)
        drawing.add(
            Rect(
                left,
                middle - _BAR / 2,
                max(right - left, 0.5),
                _BAR,
                fillColor=colour[bar.kind],
                strokeColor=None,
            )
        )
        drawing.add(
            String(
                plot_right + gap if st.rtl else plot_left - gap,
                middle - 2.5,
                visual(_clipped(label, label_room)),
                fontName=FONT,
                fontSize=7,
                textAnchor="start" if st.rtl else "end",
            )
        )
        # the amount beyond the bar's end: right of a rise or a total, left of a fall
        if bar.kind == "fall":
            drawing.add(_small(left - 2, middle - 2.3, amount, "end"))
        else:
            drawing.add(_small(right + 2, middle - 2.3, amount, "start"))
        if n < len(bars) - 1:  # a dotted line down to the next bar, where this one left off
            level = x(data.start + sum(data.steps[:n]))
            drawing.add(
                Line(
                    level,
                    middle - _BAR / 2,
                    level,
                    middle - _ROW + _BAR / 2,
                    strokeColor=MUTED,
                    strokeWidth=0.4,
                    strokeDashArray=[1, 1.5],
                )
            )
    legend = ((RISE, data.names[0]), (FALL, data.names[1]), (BRAND, data.names[2]))
    drawing.add(_legend(legend, width, drawing.height, st))
    return drawing


def _small(x: float, y: float, text: str, anchor: str) -> String:
    """A figure in the chart's small muted type."""
    return String(
        x, y, visual(text), fontName=FONT, fontSize=6.5, textAnchor=anchor, fillColor=MUTED
    )


def _clipped(text: str, room: float) -> str:
    """``text`` shortened with an ellipsis to fit ``room`` at the chart's label size."""
    if pdfmetrics.stringWidth(text, FONT, 7) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, 7) > room:
        text = text[:-1]
    return text + "…"


def chart_title(title: str, width: float, st: Styles) -> Drawing:
    """A caption above a chart (a ``String`` so it can be kept with the drawing)."""
    drawing = Drawing(width, 14)
    anchor = "end" if st.rtl else "start"
    drawing.add(
        String(
            width if st.rtl else 0,
            3,
            visual(title, st.rtl),
            fontName=FONT_BOLD,
            fontSize=9,
            fillColor=BRAND,
            textAnchor=anchor,
        )
    )
    return drawing


# --- pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """How a document's pages look: direction, size, and the title in the running header."""

    title: str
    rtl: bool
    landscape: bool = False

    @property
    def size(self) -> tuple[float, float]:
        return landscape(A4) if self.landscape else A4

    @property
    def frame_width(self) -> float:
        return self.size[0] - 2 * MARGIN

    @property
    def frame_height(self) -> float:
        return self.size[1] - MARGIN - BOTTOM_MARGIN


def frame_width(is_landscape: bool) -> float:
    return Page("", rtl=False, landscape=is_landscape).frame_width


def frame_height(is_landscape: bool) -> float:
    return Page("", rtl=False, landscape=is_landscape).frame_height


class _PagedCanvas(Canvas):
    """Holds pages back until the end so each footer can say "page X of Y"."""

    def __init__(
        self, *args: Any, decorate: Callable[[Canvas, int, int], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, total)
            super().showPage()
        super().save()


def _decorate(page: Page, canvas: Canvas, number: int, total: int) -> None:
    """Footer on every page; from page 2 on, the title at the top, so a loose page is known."""
    width, height = page.size
    start_x, end_x = (width - MARGIN, MARGIN) if page.rtl else (MARGIN, width - MARGIN)
    draw_start = canvas.drawRightString if page.rtl else canvas.drawString
    draw_end = canvas.drawString if page.rtl else canvas.drawRightString
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7)
    footer_y = BOTTOM_MARGIN - 10 * mm
    canvas.line(MARGIN, footer_y + 9, width - MARGIN, footer_y + 9)
    draw_start(start_x, footer_y, visual(f"{_(COMPANY.name)}  ·  {COMPANY.website}", page.rtl))
    pages = _("Page {page} of {pages}").format(page=number, pages=total)
    draw_end(end_x, footer_y, visual(pages, page.rtl))
    if number > 1:
        header_y = height - MARGIN + 3 * mm
        draw_start(start_x, header_y, visual(page.title, page.rtl))
        draw_end(end_x, header_y, visual(_(COMPANY.name), page.rtl))
        canvas.line(MARGIN, header_y - 4, width - MARGIN, header_y - 4)
    canvas.restoreState()


def render(story: Sequence[Flowable], page: Page) -> bytes:
    """The PDF of ``story``: A4 pages with footers, metadata and the document's language."""
    register_fonts()
    buffer = io.BytesIO()
    # No frame padding: tables and rules span exactly ``page.frame_width``.
    frame = Frame(
        MARGIN,
        BOTTOM_MARGIN,
        page.frame_width,
        page.frame_height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document = BaseDocTemplate(
        buffer,
        pagesize=page.size,
        pageTemplates=[PageTemplate(frames=[frame])],
        title=unmarked(page.title),
        author=_(COMPANY.name),
        lang="he-IL" if page.rtl else "en-IL",
    )
    canvasmaker = partial(_PagedCanvas, decorate=partial(_decorate, page))
    document.build(list(story), canvasmaker=canvasmaker)
    return buffer.getvalue()


def reads_rtl(language: str) -> bool:
    """Whether a document in ``language`` reads right to left (and so is mirrored)."""
    return i18n.is_rtl(i18n.normalize(language))
