"""Benchmark of the bill copy PDF against a minimal reportlab PDF, time per page.

Builds ``--count`` bill copies in English and in Hebrew from one synthetic
:class:`~reports.documents.BillDocument` (six charge lines, thirteen months of
history) with :func:`reports.bill.build_bill`, and as a baseline the same number
of one-page PDFs holding one paragraph, made with reportlab's own
``SimpleDocTemplate`` and a built-in font. Rounds of bill and baseline builds
alternate, so a busy machine slows both alike. It prints the median time per
page of each and the ratio to the baseline.

Usage::

    .venv/bin/python -m benchmarks.bill_pdf               # 50 bills per language, 5 rounds
    .venv/bin/python -m benchmarks.bill_pdf --count 200 --rounds 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path

import pdfplumber
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.bill import build_bill  # noqa: E402 - after the path set-up for a plain run
from reports.documents import BillDocument, BillLine, Party  # noqa: E402

LINES = (
    ("energy_peak", "41250.000", "kWh", "0.812340"),
    ("energy_shoulder", "38100.500", "kWh", "0.534210"),
    ("energy_offpeak", "102400.000", "kWh", "0.312000"),
    ("energy", "1200.000", "kWh", "0.601000"),
    ("fixed", "1", "month", "45.00"),
    ("capacity", "1500", "kVA", "12.500000"),
)


def synthetic_bill(language: str) -> BillDocument:
    """A realistic bill: time-of-use lines, VAT, a partial payment, 13 months of history."""
    lines = tuple(
        BillLine(
            kind,
            Decimal(quantity),
            unit,
            Decimal(price),
            (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01")),
        )
        for kind, quantity, unit, price in LINES
    )
    subtotal = sum((line.amount for line in lines), Decimal(0))
    vat = (subtotal * Decimal("0.18")).quantize(Decimal("0.01"))
    history = tuple(
        (dt.date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1), 150_000_000 + (m * 7919) % 50 * 10**6)
        for m in range(1, 14)
    )
    he = language == "he"
    return BillDocument(
        language=language,
        number="INV-2026-000123",
        issue_date=dt.date(2026, 2, 3),
        due_date=dt.date(2026, 2, 20),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 2, 1),
        customer=Party(
            'מפעלי הגליל בע"מ' if he else "Galilee Works Ltd.",
            "C-10042",
            "513456789",
            "רחוב התעשייה 12, כרמיאל" if he else "12 Industry St.",
        ),
        site_id="S-2001",
        site_name="מפעל צפון" if he else "North plant",
        site_address="אזור התעשייה, כרמיאל" if he else "Industrial zone, Karmiel",
        contract_number="K-778899",
        tariff="TOU-HV",
        meter_number="M-55443322",
        lines=lines,
        subtotal=subtotal,
        vat_rate=Decimal("0.18"),
        vat=vat,
        total=subtotal + vat,
        paid=Decimal("50000.00"),
        open_amount=subtotal + vat - Decimal("50000.00"),
        history=history,
    )


def minimal_pdf() -> bytes:
    """The baseline: reportlab's least document, one paragraph on one A4 page."""
    buffer = io.BytesIO()
    style = getSampleStyleSheet()["Normal"]
    paragraph = Paragraph("Invoice INV-2026-000123: total ILS 99,418.34", style)
    SimpleDocTemplate(buffer, pagesize=A4).build([paragraph])
    return buffer.getvalue()


def page_count(data: bytes) -> int:
    with pdfplumber.open(io.BytesIO(data)) as document:
        return len(document.pages)


def seconds_per_page(build: Callable[[], bytes], count: int, pages: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        build()
    return (time.perf_counter() - start) / (count * pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="documents per round and kind")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the median is printed")
    args = parser.parse_args()

    documents = {language: synthetic_bill(language) for language in ("en", "he")}
    builds: dict[str, Callable[[], bytes]] = {"baseline (one paragraph)": minimal_pdf}
    for language, document in documents.items():
        builds[f"bill copy, {language}"] = partial(build_bill, document)
    # A first build of each registers fonts and fills caches: not part of the timing.
    pages = {name: page_count(build()) for name, build in builds.items()}
    times: dict[str, list[float]] = {name: [] for name in builds}
    for _ in range(args.rounds):
        for name, build in builds.items():
            times[name].append(seconds_per_page(build, args.count, pages[name]))

    baseline = statistics.median(times["baseline (one paragraph)"])
    print(f"{args.rounds} rounds of {args.count} documents each; median time per page")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(
            f"  {name:<26} {pages[name]} page(s)  {median * 1000:8.2f} ms/page"
            f"  x{median / baseline:5.1f} baseline"
        )


if __name__ == "__main__":
    main()
