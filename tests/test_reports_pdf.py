"""The PDF builders, read back as a person would: the figures, the words, the direction.

Text is read with pdfplumber, which returns characters in the order they sit on
the page, left to right. Hebrew therefore comes back in visual order: the
expected Hebrew strings below are written out by hand in that order (a word is
its letters reversed; digits and Latin keep their order), so a test fails if a
string was not reordered, was reordered twice, or had its numbers flipped.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from decimal import Decimal

import pdfplumber
import pytest
from pdfminer.pdftypes import resolve1
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Rect, String

from lounge import i18n
from reports import pdf, rtl, values
from reports.bill import build_bill
from reports.documents import (
    BillDocument,
    BillLine,
    Party,
    ReceiptAllocation,
    ReceiptDocument,
    ReportColumn,
    ReportDocument,
    ReportSection,
)
from reports.receipt import build_receipt
from reports.report import build_report

HEBREW_NAME = 'מפעלי הגליל בע"מ'


def bill_document(language: str) -> BillDocument:
    lines = (
        BillLine(
            "energy_peak", Decimal("41250.000"), "kWh", Decimal("0.812340"), Decimal("33509.03")
        ),
        BillLine(
            "energy_offpeak", Decimal("102400.000"), "kWh", Decimal("0.312000"), Decimal("31948.80")
        ),
        BillLine("fixed", Decimal("1"), "month", Decimal("45.00"), Decimal("45.00")),
        BillLine("capacity", Decimal("1500"), "kVA", Decimal("12.500000"), Decimal("18750.00")),
    )
    history = tuple(
        (dt.date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1), 150_000_000 + m * 1_000_000)
        for m in range(1, 14)
    )
    return BillDocument(
        language=language,
        number="INV-2026-000123",
        issue_date=dt.date(2026, 2, 3),
        due_date=dt.date(2026, 2, 20),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 2, 1),
        customer=Party(
            HEBREW_NAME if language == "he" else "Galilee Works Ltd.",
            "C-10042",
            "513456789",
            "12 Industry St., Karmiel",
        ),
        site_id="S-2001",
        site_name="North plant",
        site_address=None,
        contract_number="K-778899",
        tariff="TOU-HV",
        meter_number="M-5544",
        lines=lines,
        subtotal=Decimal("84252.83"),
        vat_rate=Decimal("0.18"),
        vat=Decimal("15165.51"),
        total=Decimal("99418.34"),
        paid=Decimal("50000.00"),
        open_amount=Decimal("49418.34"),
        history=history,
    )


def receipt_document(language: str) -> ReceiptDocument:
    return ReceiptDocument(
        language=language,
        receipt_number="R-2026-000045",
        paid_at=dt.datetime(2026, 2, 10, 8, 30, tzinfo=dt.UTC),
        customer=Party(HEBREW_NAME, "C-10042", "513456789"),
        amount=Decimal("123456.78"),
        method="card",
        provider_reference="ch_3PqXyZ123",
        allocations=(
            ReceiptAllocation(
                "INV-2025-000999", dt.date(2025, 12, 1), dt.date(2026, 1, 1), Decimal("23456.78")
            ),
            ReceiptAllocation(
                "INV-2026-000123", dt.date(2026, 1, 1), dt.date(2026, 2, 1), Decimal("100000.00")
            ),
        ),
    )


def report_document(language: str, rows: int = 6, *, columns: int = 0) -> ReportDocument:
    """A consumption report; ``columns`` extra kWh columns make it wide."""
    he = language == "he"
    extra = tuple(ReportColumn(f"m{i}", f"Month {i}, kWh", "kwh") for i in range(columns))
    section = ReportSection(
        title="צריכה לפי אתר" if he else "Consumption by site",
        columns=(
            ReportColumn("site", "אתר" if he else "Site"),
            ReportColumn("month", "חודש" if he else "Month", "month"),
            ReportColumn("wh", 'צריכה, קוט"ש' if he else "Consumption, kWh", "kwh"),
            ReportColumn("cost", "עלות" if he else "Cost", "money"),
            *extra,
        ),
        rows=tuple(
            {
                "site": f"Site {i:03d}",
                "month": dt.date(2025, i % 12 + 1, 1),
                "wh": 1_000_000 + i * 1000,
                "cost": Decimal("100.50"),
                **{f"m{c}": 1_000_000 for c in range(columns)},
            }
            for i in range(rows)
        ),
        totals={
            "wh": sum(1_000_000 + i * 1000 for i in range(rows)),
            "cost": Decimal("100.50") * rows,
        },
    )
    return ReportDocument(
        language=language,
        kind="consumption",
        title="דוח צריכה" if he else "Consumption report",
        subtitle="Galilee Works Ltd.",
        generated_at=dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC),
        sections=(section,),
    )


def pages_text(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return [page.extract_text() or "" for page in document.pages]


def text_of(data: bytes) -> str:
    return "\n".join(pages_text(data))


def hebrew(msgid: str, **values: object) -> str:
    """What the Hebrew catalog says for ``msgid`` (English until it is translated)."""
    with i18n.use("he"):
        return i18n._(msgid).format(**values)


# --- the bill -----------------------------------------------------------------------


def test_english_bill_shows_the_invoice_and_its_figures():
    text = text_of(build_bill(bill_document("en")))

    assert "Invoice copy" in text
    assert "INV-2026-000123" in text
    assert "Lounge Electric Company Ltd." in text and "Tax ID 520000000" in text
    assert "1 Jan 2026 – 31 Jan 2026" in text  # the exclusive period end is not printed
    assert "Energy, peak 41,250 kWh 0.81234 ₪33,509.03" in text
    assert "Capacity charge 1,500 kVA 12.50 ₪18,750.00" in text
    assert "Subtotal ₪84,252.83" in text
    assert "VAT 18% ₪15,165.51" in text
    assert "Total ₪99,418.34" in text
    assert "Amount due ₪49,418.34" in text
    assert "Partly paid" in text
    assert "Site address" not in text  # a field with no value is left out
    assert "Consumption in the last 13 months, kWh" in text
    assert "Page 1 of 1" in text


def test_hebrew_bill_is_right_to_left_with_numbers_left_to_right():
    text = text_of(build_bill(bill_document("he")))

    # The label sits right of its value (mirrored layout); the name reads right to left.
    assert 'מ"עב לילגה ילעפמ םש' in text
    assert "INV-2026-000123" in text  # an id keeps its own order inside a Hebrew page
    assert "41,250" in text and "102,400" in text
    # Money reads "amount, then shekel sign" from the right: the sign prints on the left.
    assert "₪ 99,418.34" in text
    assert "₪ 49,418.34" in text
    # "1 בינו׳ 2026 – 31 בינו׳ 2026", drawn right to left.
    assert "2026 ׳וניב 31 – 2026 ׳וניב 1" in text
    assert rtl.visual(hebrew("Page {page} of {pages}", page=1, pages=1), rtl=True) in text


def test_bill_status_follows_payment_and_cancellation():
    from dataclasses import replace

    from reports.bill import status

    document = bill_document("en")
    with i18n.use("en"):
        assert status(document) == "Partly paid"
        assert status(replace(document, paid=Decimal(0))) == "Unpaid"
        assert status(replace(document, open_amount=Decimal(0))) == "Paid"
        assert status(replace(document, status="cancelled")) == "Cancelled"


def test_pdfs_embed_the_hebrew_font():
    data = build_bill(bill_document("he"))
    with pdfplumber.open(io.BytesIO(data)) as document:
        page = document.pages[0]
        fonts = {
            resolve1(font)["BaseFont"].name
            for font in resolve1(page.page_obj.resources["Font"]).values()
        }
        hebrew_chars = [c for c in page.chars if "\u05d0" <= c["text"] <= "\u05ea"]
    assert any(name.endswith("+DejaVuSans") for name in fonts), fonts
    assert any(name.endswith("+DejaVuSans-Bold") for name in fonts), fonts
    assert len(hebrew_chars) > 50
    assert {c["fontname"].split("+")[-1] for c in hebrew_chars} <= {"DejaVuSans", "DejaVuSans-Bold"}


# --- the receipt --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "he"])
def test_receipt_lists_the_settled_invoices_and_the_total(language):
    text = text_of(build_receipt(receipt_document(language)))

    assert "R-2026-000045" in text
    assert "INV-2025-000999" in text and "INV-2026-000123" in text
    assert "ch_3PqXyZ123" in text
    if language == "en":
        assert "Credit card" in text
        assert "₪23,456.78" in text and "Total ₪123,456.78" in text
        assert "10 Feb 2026, 10:30:00" in text  # 08:30 UTC is 10:30 in Israel
    else:
        assert "₪ 23,456.78" in text and "₪ 123,456.78" in text
        assert 'מ"עב לילגה ילעפמ' in text
        assert "10:30:00 ,2026 ׳רבפב 10" in text


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_long_payment_reference_wraps_inside_its_box(language):
    reference = "pi_3PqXyZ123AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    doc = replace(receipt_document(language), provider_reference=reference)
    with pdfplumber.open(io.BytesIO(build_receipt(doc))) as document:
        page = document.pages[0]
        margin = 15 * 72 / 25.4  # the page margin, 15 mm
        chars = page.chars
        assert all(margin - 1 <= c["x0"] and c["x1"] <= page.width - margin + 1 for c in chars)
        pieces = [w for w in page.extract_words() if len(w["text"]) > 5 and w["text"] in reference]
    assert len(pieces) > 1
    assert "".join(w["text"] for w in sorted(pieces, key=lambda w: w["top"])) == reference


# --- reports ------------------------------------------------------------------------


def test_long_report_splits_over_numbered_pages_with_repeated_headers():
    data = build_report(report_document("en", rows=200))
    pages = pages_text(data)

    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Site Month Consumption, kWh Cost" in page  # the header row on every page
    assert "Site 000" in pages[0] and "Site 199" in pages[-1]
    # 200 rows of 1,000,000 + i * 1,000 Wh: 200,000 kWh + 19,900 kWh.
    assert "Total 219,900 ₪20,100.00" in pages[-1]


def test_report_totals_row_is_bold():
    data = build_report(report_document("en"))
    with pdfplumber.open(io.BytesIO(data)) as document:
        words = document.pages[0].extract_words(extra_attrs=["fontname"])
    total = next(w for w in words if w["text"] == "Total")
    row = next(w for w in words if w["text"] == "1,000")
    assert total["fontname"].endswith("DejaVuSansCondensed-Bold")
    assert row["fontname"].endswith("DejaVuSansCondensed")


def test_wide_report_turns_landscape_and_narrow_stays_upright():
    def is_landscape(document: ReportDocument) -> bool:
        with pdfplumber.open(io.BytesIO(build_report(document))) as opened:
            return opened.pages[0].width > opened.pages[0].height

    assert not is_landscape(report_document("en"))
    assert is_landscape(report_document("en", columns=9))


def test_hebrew_report_runs_columns_right_to_left():
    data = build_report(report_document("he"))
    with pdfplumber.open(io.BytesIO(data)) as document:
        page = document.pages[0]
        words = page.extract_words()
        text = page.extract_text()

    def x_of(word: str) -> float:
        return next(w["x0"] for w in words if w["text"] == word)

    # The first column (site) is the rightmost, the money column left of consumption.
    assert x_of("רתא") > x_of("שדוח") > x_of("תולע")
    assert "רתא יפל הכירצ" in text  # the section title, "צריכה לפי אתר"
    assert "₪ 100.50" in text and "1,000" in text
    assert "2025 ׳רבפ" in text  # "פבר׳ 2025"


# --- the pieces ---------------------------------------------------------------------


def test_visual_order_keeps_numbers_and_latin_inside_hebrew():
    assert rtl.visual("חשבונית INV-7 על סך 1,234.50", rtl=True) == "1,234.50 ךס לע INV-7 תינובשח"
    assert rtl.visual("(שלום)") == "(םולש)"  # brackets are mirrored
    assert rtl.visual("טלפון " + rtl.embed("*5050"), rtl=True) == "*5050 ןופלט"
    assert rtl.visual("Site 7 (North)") == "Site 7 (North)"


def test_display_rounds_half_up_like_a_spreadsheet():
    with i18n.use("en"):
        assert values.display(2_500, "kwh") == "3"
        assert values.display(1_234_567_890, "kwh") == "1,234,568"
        assert values.display(Decimal("1.005"), "money") == "₪1.01"
        assert values.display(0.0125, "percent") == "1.3%"
        assert values.display(0.0125, "change") == "▲ +1.3%"  # as the screens say a change
        assert values.display(-0.0125, "change") == "▼ \u22121.3%"
        assert values.display(0.0004, "change") == "0.0%"
        assert values.display(dt.date(2026, 1, 5), "date") == "5 Jan 2026"  # the one date style
        assert values.display(None, "money") == ""
    with i18n.use("he"):
        assert rtl.unmarked(values.display(Decimal("1234.5"), "money")) == "1,234.50\xa0₪"
        assert values.display(dt.date(2026, 1, 5), "date") == "5 בינו׳ 2026"
        assert rtl.unmarked(values.display(-0.0125, "change")) == "▼ \u22121.3%"


def _assert_legend_beside_colours(drawing, names, colours, rtl: bool) -> None:
    """Each legend name (the words at the top of ``drawing``) next to its own swatch."""
    with pdfplumber.open(io.BytesIO(renderPDF.drawToString(drawing))) as document:
        page = document.pages[0]
        swatches = [r for r in page.rects if r["bottom"] < 16 and r["width"] < 10]
        words = [w for w in page.extract_words() if w["bottom"] < 16]
    assert len(swatches) == len(words) == len(names)
    for word in words:
        name = next(n for n in names if word["text"] in (n, n[::-1]))
        nearest = min(swatches, key=lambda r: max(r["x0"] - word["x1"], word["x0"] - r["x1"]))
        colour = colours[names.index(name)]
        assert nearest["non_stroking_color"] == pytest.approx(colour.rgb(), abs=0.01), name
        # the swatch comes first in reading order: left of the name, or right of it in Hebrew
        assert (nearest["x0"] >= word["x1"]) if rtl else (nearest["x1"] <= word["x0"])


@pytest.mark.parametrize(
    ("language", "names"),
    [("en", ["Peak", "Shoulder", "Off-peak"]), ("he", ["פסגה", "גבע", "שפל"])],
)
def test_every_legend_name_sits_beside_its_own_colour(language, names):
    st = pdf.styles(pdf.reads_rtl(language))
    data = pdf.ChartData(["1", "2"], [[1, 2], [3, 4], [5, 6]], names=names, stacked=True)
    drawing = pdf.bar_chart(data, 300, 150, st, str)
    _assert_legend_beside_colours(drawing, names, pdf.SERIES, st.rtl)


WATERFALL = pdf.Waterfall(
    categories=["Total of A", "Days", "Consumption: Peak", "Tariff rates", "VAT", "Total of B"],
    start=1000.0,
    steps=[-150.0, 400.0, -50.0, 36.0],
    end=1236.0,
    texts=["1,000", "-150", "400", "-50", "36", "1,236"],
    names=("Increase", "Decrease", "Total"),
)


def test_a_waterfalls_steps_start_where_the_one_before_ended_and_add_up_to_the_end():
    bars = pdf.waterfall_bars(WATERFALL)
    assert [(b.low, b.high, b.kind) for b in bars] == [
        (0.0, 1000.0, "total"),
        (850.0, 1000.0, "fall"),
        (850.0, 1250.0, "rise"),
        (1200.0, 1250.0, "fall"),
        (1200.0, 1236.0, "rise"),
        (0.0, 1236.0, "total"),
    ]
    # below zero: a bar from the level down, the total from zero down
    below = replace(WATERFALL, start=100.0, steps=[-300.0], end=-200.0, texts=["", "", ""])
    below = replace(below, categories=["A", "Credit", "B"])
    assert [(b.low, b.high) for b in pdf.waterfall_bars(below)] == [
        (0.0, 100.0),
        (-200.0, 100.0),
        (-200.0, 0.0),
    ]


@pytest.mark.parametrize(
    ("language", "names"), [("en", WATERFALL.names), ("he", ("עלייה", "ירידה", 'סה"כ'))]
)
def test_a_waterfall_puts_its_causes_on_the_readers_side_and_its_colours_in_the_legend(
    language, names
):
    st = pdf.styles(pdf.reads_rtl(language))
    drawing = pdf.waterfall_chart(replace(WATERFALL, names=names), 400, st, str)
    bars = [s for s in drawing.contents if isinstance(s, Rect) and s.height == 9.0]
    causes = [
        s
        for s in drawing.contents
        if isinstance(s, String) and rtl.unmarked(s.text) in WATERFALL.categories
    ]
    assert len(bars) == len(causes) == 6
    kinds = [b.kind for b in pdf.waterfall_bars(WATERFALL)]
    colours = {"total": pdf.BRAND, "rise": pdf.RISE, "fall": pdf.FALL}
    assert [b.fillColor for b in bars] == [colours[kind] for kind in kinds]
    # each cause on its bar's row, on the left of the plot (on the right in Hebrew)
    for bar, cause in zip(bars, causes, strict=True):
        assert bar.y < cause.y < bar.y + bar.height
    edge = [bar.x + bar.width for bar in bars] if st.rtl else [bar.x for bar in bars]
    if st.rtl:
        assert min(cause.x for cause in causes) > max(edge)
    else:
        assert max(cause.x for cause in causes) < min(edge)
    _assert_legend_beside_colours(drawing, list(names), [pdf.RISE, pdf.FALL, pdf.BRAND], st.rtl)


def test_bill_marks_an_estimated_band_split_and_says_how_it_was_made():
    from dataclasses import replace

    document = bill_document("en")
    estimated = tuple(
        replace(line, band_split="typical" if line.kind.startswith("energy_") else None)
        for line in document.lines
    )
    text = " ".join(text_of(build_bill(replace(document, lines=estimated))).split())
    assert "Energy, peak (estimated) 41,250 kWh" in text
    assert "Time-of-use split estimated" in text
    assert "(17% peak, 31% shoulder, 52% off-peak)" in text
    measured = tuple(
        replace(line, band_split="interval" if line.kind.startswith("energy_") else None)
        for line in document.lines
    )
    text = " ".join(text_of(build_bill(replace(document, lines=measured))).split())
    assert "(estimated)" not in text
    assert "Time-of-use split measured by the site's interval meter." in text

    hebrew_doc = replace(bill_document("he"), lines=estimated)
    text = text_of(build_bill(hebrew_doc))
    assert (
        rtl.visual(hebrew("{charge} (estimated)", charge=hebrew("Energy, peak")), rtl=True) in text
    )
