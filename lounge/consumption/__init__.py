"""Consumption cuts for the screens, read from the rollups.

One module per concern: :mod:`.scope` (which sites a cut covers), :mod:`.periods`
(days and months), :mod:`.sums` (the shared grouped read), :mod:`.cuts` (monthly
cuts), :mod:`.interval` (cuts that need interval data), :mod:`.zoom`,
:mod:`.regions` (staff views) and :mod:`.distance` (to the lounge thresholds).
This package re-exports their public names, so callers write
``consumption.series(...)``.

Every function takes the viewer and resolves customers and sites through the
access layer (most through :func:`.scope.scoped`, which hands the cut a resolved
:class:`Scope`), so a forged id yields :class:`lounge.access.NotFound`.

Screens read the daily and monthly rollups built at import, never the raw
15-minute rows, so a cut over years of interval data costs a few thousand
rollup rows. The one exception is the interval zoom at its finest level (a
few days of one site), which reads the readings themselves: a handful of rows
by primary key. Results are integer Wh and W in pandas frames or small
dataclasses; the pages format and translate them.

A cut covers a :class:`Selection` of the customer's sites: all of them, one
site, or a group by region or site type. Monthly figures (series by month and
year, shares, VIP distance) include every site; daily figures (series by day,
time-of-use bands, load profiles, peaks, zoom) exist only where interval data
does, because billing reads are never spread over days.
"""

from lounge.consumption.cuts import YearOverYear, monthly, series, site_shares, year_over_year
from lounge.consumption.distance import vip_distance
from lounge.consumption.interval import (
    UNBANDED,
    UNBANDED_LABEL,
    Coverage,
    TouBreakdown,
    coincident_peak,
    coverage,
    peak_demand,
    time_of_use,
    typical_day,
)
from lounge.consumption.periods import Period
from lounge.consumption.regions import (
    RegionSummary,
    SiteRow,
    region_monthly,
    regions,
    sites_by_region,
)
from lounge.consumption.scope import WHOLE_CUSTOMER, Scope, ScopeSite, Selection, scope
from lounge.consumption.zoom import (
    DAY_SPAN,
    HOUR_SPAN,
    MAX_POINTS,
    READING_SPAN,
    Resolution,
    Zoom,
    resolution_for,
    zoom,
)

__all__ = [
    "Coverage",
    "coincident_peak",
    "coverage",
    "DAY_SPAN",
    "HOUR_SPAN",
    "MAX_POINTS",
    "READING_SPAN",
    "UNBANDED",
    "UNBANDED_LABEL",
    "WHOLE_CUSTOMER",
    "YearOverYear",
    "Period",
    "RegionSummary",
    "Resolution",
    "Scope",
    "ScopeSite",
    "Selection",
    "SiteRow",
    "TouBreakdown",
    "Zoom",
    "monthly",
    "peak_demand",
    "region_monthly",
    "regions",
    "resolution_for",
    "scope",
    "series",
    "site_shares",
    "sites_by_region",
    "time_of_use",
    "typical_day",
    "vip_distance",
    "year_over_year",
    "zoom",
]
