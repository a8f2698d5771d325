"""The measured load reduction of an event as a report document (screen, PDF, CSV, XLSX).

Built from :func:`lounge.demand.baseline.measure`, so the viewer sees exactly the sites the
access rule lets it see: a client its own, an account manager the portfolio's, staff all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import utcnow
from lounge import i18n
from lounge.access import Viewer
from lounge.demand import baseline
from lounge.demand.baseline import Reduction, Total
from lounge.i18n import N_, _
from lounge.labels import REGIONS, label
from lounge.notify import demand as messages
from reports.documents import Chart, ReportColumn, ReportDocument, ReportSection

KIND = "load_reduction"
TITLE = N_("Measured load reduction")
METHOD = N_(
    "Baseline: the mean load of the 10 most recent similar days without an event (working "
    "days for a working day; Fridays, Saturdays and holidays otherwise) in the same hours, "
    "adjusted by the load of the three hours from four hours to one hour before the event "
    "(at most plus or minus 20%)."
)


def figures() -> tuple[ReportColumn, ...]:
    """The columns of a reduction's figures (the meeting pack's section has them too)."""
    return (
        ReportColumn("baseline_wh", _("Baseline, kWh"), "kwh"),
        ReportColumn("actual_wh", _("Actual, kWh"), "kwh"),
        ReportColumn("reduction_wh", _("Reduction, kWh"), "kwh"),
        ReportColumn("reduction_w", _("Reduction, kW"), "kw"),
        ReportColumn("share", _("Reduction, % of baseline"), "percent"),
    )


def values(total: Total) -> dict[str, Any]:
    """A total's figures under :func:`figures`' keys, and its number of sites."""
    return {
        "sites": total.sites,
        "baseline_wh": total.baseline_wh,
        "actual_wh": total.actual_wh,
        "reduction_wh": total.reduction_wh,
        "reduction_w": total.reduction_w,
        "share": total.share,
    }


def document(session: Session, viewer: Viewer, notice_id: object, language: str) -> ReportDocument:
    """The event's reduction per site, customer and region, and quarter hour by quarter hour."""
    with i18n.use(language):
        found = baseline.measure(session, viewer, notice_id)
        return build(found)


def build(found: Reduction) -> ReportDocument:
    """The document of a measured reduction, in the active language."""
    sites = ReportSection(
        title=_("Sites"),
        columns=(
            ReportColumn("site", _("Site")),
            ReportColumn("customer", _("Customer")),
            ReportColumn("region", _("Region")),
            ReportColumn("days", _("Similar days"), "number"),
            ReportColumn("adjustment", _("Day-of adjustment"), "change"),
            *figures(),
        ),
        rows=tuple(
            {
                "site": f"{line.site_id} · {line.site_name}",
                "customer": line.customer_name,
                "region": label(REGIONS, line.region),
                "days": line.days,
                "adjustment": line.adjustment - 1,
                "baseline_wh": line.baseline_wh,
                "actual_wh": line.actual_wh,
                "reduction_wh": line.reduction_wh,
                "reduction_w": line.reduction_w,
                "share": line.reduction_wh / line.baseline_wh if line.baseline_wh > 0 else 0.0,
            }
            for line in found.sites
        ),
        totals=values(found.total),
        note=_(METHOD),
        warning=_unmeasured(found),
    )

    def grouped(title: str, heading: str, totals: tuple[Total, ...], names: bool) -> ReportSection:
        return ReportSection(
            title=title,
            columns=(
                ReportColumn("name", heading),
                ReportColumn("sites", _("Sites"), "number"),
                *figures(),
            ),
            rows=tuple(
                {"name": total.name if names else label(REGIONS, total.key), **values(total)}
                for total in totals
            ),
            totals=values(found.total),
        )

    series = ReportSection(
        title=_("Baseline and actual load, quarter hour by quarter hour"),
        columns=(
            ReportColumn("at", _("Time")),
            ReportColumn("baseline_w", _("Baseline, kW"), "kw"),
            ReportColumn("actual_w", _("Actual, kW"), "kw"),
        ),
        rows=tuple(
            {"at": f"{at:%H:%M}", "baseline_w": int(base), "actual_w": int(actual)}
            for at, base, actual in found.series.itertuples(index=False)
        ),
        chart=Chart(x="at", y=("baseline_w", "actual_w")),
    )
    return ReportDocument(
        language=i18n.current(),
        kind=KIND,
        title=_(TITLE),
        subtitle=_("Peak-load warning {number} · {window}").format(
            number=found.notice_id, window=messages.window(found.starts_at, found.ends_at)
        ),
        generated_at=utcnow(),
        sections=(
            series,
            sites,
            grouped(_("By customer"), _("Customer"), found.customers, True),
            grouped(_("By region"), _("Region"), found.regions, False),
        ),
    )


def _unmeasured(found: Reduction) -> str | None:
    if not found.unmeasured:
        return None
    return i18n.ngettext(
        "{count} site reached has no interval data for the event and is left out: {sites}",
        "{count} sites reached have no interval data for the event and are left out: {sites}",
        len(found.unmeasured),
    ).format(count=len(found.unmeasured), sites=", ".join(found.unmeasured))
