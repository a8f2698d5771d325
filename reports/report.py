"""A report ("cut") as a PDF: title, subtitle, when it was made, then each section as a table.

Cells are shown by :func:`reports.values.display`, the rule the CSV and the XLSX
follow too. A section whose columns do not fit an upright page puts the whole
report on landscape pages; long tables continue over pages under a repeated header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from lounge import i18n
from lounge.i18n import _
from reports import pdf, values
from reports.documents import ColumnKind, ReportDocument, ReportSection

CHART_HEIGHT = 60 * mm
#: More columns than this go on landscape pages, where figures need not be squeezed.
MAX_UPRIGHT_COLUMNS = 8
#: A section's title goes to the next page unless this many of its rows fit under it.
FIRST_ROWS = 3


@dataclass(frozen=True)
class _Cells:
    """A section's display strings and the widths its columns ask for."""

    section: ReportSection
    columns: list[pdf.Column]
    rows: list[list[str]]
    totals: list[str] | None
    widths: list[pdf.ColumnWidths]

    def needs_landscape(self) -> bool:
        """Many columns, or more than an upright page holds even with text wrapped."""
        least = sum(w.least for w in self.widths)
        return len(self.columns) > MAX_UPRIGHT_COLUMNS or least > pdf.frame_width(False)


def build_report(doc: ReportDocument) -> bytes:
    """The PDF bytes of ``doc``, laid out in ``doc.language`` (mirrored in Hebrew)."""
    with i18n.use(doc.language):
        st = pdf.styles(pdf.reads_rtl(doc.language), compact=True)
        sections = [_cells(section, st) for section in doc.sections]
        page = pdf.Page(doc.title, st.rtl, landscape=any(s.needs_landscape() for s in sections))
        width = page.frame_width
        generated = _("Generated {time}").format(time=i18n.format_datetime(doc.generated_at))
        story: list[Flowable] = pdf.company_header(doc.title, [doc.subtitle, generated], width, st)
        for cells in sections:
            story += _section(cells, width, st)
        return pdf.render(story, page)


def _cells(section: ReportSection, st: pdf.Styles) -> _Cells:
    columns = [pdf.Column(c.label, numeric=values.is_numeric(c)) for c in section.columns]
    rows = [_row(section, row) for row in section.rows]
    totals_row = values.totals_row(section)
    totals = _row(section, totals_row) if totals_row is not None else None
    every_row = rows + ([totals] if totals is not None else [])
    widths = [
        pdf.measure(column, [row[i] for row in every_row], st) for i, column in enumerate(columns)
    ]
    return _Cells(section, columns, rows, totals, widths)


def _row(section: ReportSection, row: dict[str, object]) -> list[str]:
    return [values.display(row.get(c.key), c.kind) for c in section.columns]


def _section(cells: _Cells, width: float, st: pdf.Styles) -> list[Flowable]:
    section = cells.section
    lead: list[Flowable] = [pdf.text(section.title, st.heading, st.rtl), Spacer(1, 1.5 * mm)]
    if section.warning:
        lead += [pdf.text(section.warning, st.strong, st.rtl), Spacer(1, 1.5 * mm)]
    if section.note:
        lead += [pdf.text(section.note, st.small, st.rtl), Spacer(1, 1.5 * mm)]
    # The title, warning and note start a page unless they fit with the table's first rows,
    # so a title never ends a page alone. (Keeping them "with next" kept them with the whole
    # table: a table longer than a page then left the rest of the page before it empty.)
    lead_height = sum(f.wrap(width, pdf.frame_height(False))[1] for f in lead)
    # the header and the first rows, at two lines each at most (a header may wrap)
    row_height = 2 * st.cell.leading + 2 * pdf.CELL_V_PADDING
    rows_height = (1 + min(len(cells.rows), FIRST_ROWS)) * row_height
    story: list[Flowable] = [Spacer(1, 4 * mm), CondPageBreak(lead_height + rows_height), *lead]
    widths = pdf.fit_widths(cells.widths, width)
    story.append(pdf.data_table(cells.columns, cells.rows, width, st, cells.totals, widths))
    if section.chart is not None and section.rows:
        story += [Spacer(1, 4 * mm), KeepTogether([_chart(section, width, st)])]
    return story


def _chart(section: ReportSection, width: float, st: pdf.Styles) -> Flowable:
    assert section.chart is not None
    kinds = {c.key: c.kind for c in section.columns}
    if section.chart.kind == "waterfall":
        label = _axis_label(kinds[section.chart.y[0]])
        return pdf.waterfall_chart(waterfall_data(section), width, st, label)
    labels = {c.key: c.label for c in section.columns}
    x_kind = kinds.get(section.chart.x, "text")
    rows = section.rows[: section.chart.rows]
    data = pdf.ChartData(
        categories=[values.display(row.get(section.chart.x), x_kind) for row in rows],
        series=[
            [values.chart_number(row.get(key), kinds[key]) for row in rows]
            for key in section.chart.y
        ],
        names=[labels[key] for key in section.chart.y] if len(section.chart.y) > 1 else [],
        stacked=section.chart.stacked,
    )
    return pdf.bar_chart(data, width, CHART_HEIGHT, st, _axis_label(kinds[section.chart.y[0]]))


def waterfall_data(section: ReportSection) -> pdf.Waterfall:
    """A waterfall section's bars: its first row the start, its last the end, the steps
    between, with the amounts as the table shows them."""
    assert section.chart is not None
    x, (y,) = section.chart.x, section.chart.y
    kind = next(c.kind for c in section.columns if c.key == y)
    amounts = [values.chart_number(row.get(y), kind) for row in section.rows]
    return pdf.Waterfall(
        categories=[values.display(row.get(x), "text") for row in section.rows],
        start=amounts[0],
        steps=amounts[1:-1],
        end=amounts[-1],
        texts=[values.display(row.get(y), kind) for row in section.rows],
        names=(_("Increase"), _("Decrease"), _("Total")),
    )


def _axis_label(kind: ColumnKind) -> Callable[[float], str]:
    """Tick labels in the table's unit; percent ticks carry their sign."""
    suffix = "%" if kind in values.RATIO_KINDS else ""
    return lambda value: i18n.format_number(round(value)) + suffix
