"""Demo: past peak-load warnings, and sites that did and did not cut their load.

Two warnings, both completed, on working days within the 15-minute data: one a week or so ago
over Tel Aviv and the Center (and every metered store of the demo client's chain), one about
five weeks ago over the South and Jerusalem. Of the sites each reached, about three in five
respond: their load drops by 20 to 40% in the window and comes back in the three hours after
it (so every day, and so every window of the VIP rule, keeps its energy to the watt-hour);
the others go on as usual. Customers with a responding site acknowledged the warning with
the reduction they planned.

:func:`respond` changes the readings before they are written; :func:`write` stores the
notices, the sites they reached (with their load at stake) and the acknowledgements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import (
    Notice,
    NoticeAcknowledgement,
    NoticeKind,
    NoticeState,
    NoticeTarget,
    Site,
)
from lounge.demand import targeting
from lounge.settings import TIMEZONE

STAFF = "demand@demo.lounge"
#: Share of the reached sites that respond, and how much they cut.
RESPONDING = 0.6
CUT = (0.2, 0.4)
#: The load cut comes back over this long after the window.
REBOUND_S = 3 * 3600


@dataclass(frozen=True)
class PastEvent:
    """A past warning: its window, targeting, the sites it reached and those that responded."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    level: int
    regions: tuple[str, ...]
    site_ids: tuple[str, ...]
    reached: tuple[tuple[str, str, str], ...]
    #: Responding site -> the share of its load it keeps in the window (0.6-0.8).
    kept: dict[str, float]

    @property
    def window_s(self) -> tuple[int, int]:
        return int(self.starts_at.timestamp()), int(self.ends_at.timestamp())


@dataclass(frozen=True)
class MeteredSite:
    """What the events need of a demo site with interval data."""

    id: str
    customer_id: str
    region: str


def _day_before(day: dt.date, usual: Collection[dt.date]) -> dt.date:
    """``day`` or the latest day before it among ``usual``."""
    earliest = min(usual)
    while day not in usual and day > earliest:
        day -= dt.timedelta(days=1)
    return day


def plan(
    rng: np.random.Generator,
    sites: Sequence[MeteredSite],
    usual: Collection[dt.date],
    today: dt.date,
    chain: str,
) -> list[PastEvent]:
    """The two past events over ``sites`` (interval-metered demo sites) before ``today``, each
    on one of the ``usual`` days: full working days (not an eve) with the weather of the days
    before, so that the baseline's adjustment stays within its cap and the cuts show plainly."""
    events = []
    for days_ago, hours, regions, with_chain, level in (
        (8, (17, 20), ("Tel Aviv", "Center"), True, 2),
        (36, (14, 17), ("South", "Jerusalem"), False, 1),
    ):
        day = _day_before(today - dt.timedelta(days=days_ago), usual)
        chain_sites = tuple(site.id for site in sites if with_chain and site.customer_id == chain)
        reached = tuple(
            (site.id, site.customer_id, site.region)
            for site in sites
            if site.region in regions or site.id in chain_sites
        )
        responds = rng.random(len(reached)) < RESPONDING
        keeps = rng.uniform(1 - CUT[1], 1 - CUT[0], len(reached))
        events.append(
            PastEvent(
                starts_at=_at(day, hours[0]),
                ends_at=_at(day, hours[1]),
                level=level,
                regions=regions,
                site_ids=chain_sites,
                reached=reached,
                kept={
                    site[0]: float(keep)
                    for site, respond, keep in zip(reached, responds, keeps, strict=True)
                    if respond
                },
            )
        )
    return events


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TIMEZONE).astimezone(dt.UTC)


def respond(frame: pd.DataFrame, events: Sequence[PastEvent]) -> pd.DataFrame:
    """The readings with each responding site's load cut in the window and the energy cut
    added back, in equal whole Wh, to its readings of the next three hours."""
    site = frame["site_id"].to_numpy(object)
    start, end = frame["start_s"].to_numpy(), frame["end_s"].to_numpy()
    wh = frame["wh"].to_numpy(np.int64).copy()
    for event in events:
        begin, finish = event.window_s
        keep = pd.Series(event.kept)
        kept = keep.reindex(site).to_numpy()
        responding = ~np.isnan(kept)
        inside = np.flatnonzero(responding & (start >= begin) & (end <= finish))
        after = np.flatnonzero(responding & (start >= finish) & (end <= finish + REBOUND_S))
        cut = wh[inside] - np.floor(wh[inside] * kept[inside]).astype(np.int64)
        wh[inside] -= cut
        owed = pd.Series(cut).groupby(site[inside]).sum()
        rows = pd.Series(after).groupby(site[after])
        for site_id, positions in rows:
            total = int(owed.get(site_id, 0))
            share, rest = divmod(total, len(positions))
            wh[positions.to_numpy()] += share
            wh[positions.to_numpy()[0]] += rest
    return frame.assign(wh=wh)


def write(session: Session, events: Sequence[PastEvent]) -> list[int]:
    """The events as completed warnings with the sites they reached and the acknowledgements
    of the customers with a responding site; returns the notices' ids."""
    ids = []
    for event in events:
        notice = Notice(
            kind=NoticeKind.PEAK_WARNING,
            state=NoticeState.COMPLETED,
            level=event.level,
            reason="heat" if event.starts_at.month in range(4, 11) else "cold",
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            reduction_pct=20,
            regions=list(event.regions),
            site_ids=list(event.site_ids),
            created_by=STAFF,
            created_at=event.starts_at - dt.timedelta(days=1, hours=2),
            issued_at=event.starts_at - dt.timedelta(days=1),
            issued_by=STAFF,
            completed_at=event.ends_at + dt.timedelta(hours=1),
        )
        session.add(notice)
        session.flush()
        reached = [site_id for site_id, _customer, _region in event.reached]
        load = targeting.load_at_stake(
            session, select(Site.id).where(Site.id.in_(reached)), event.starts_at, event.ends_at
        )
        session.execute(
            insert(NoticeTarget),
            [
                {
                    "notice_id": notice.id,
                    "site_id": site_id,
                    "customer_id": customer_id,
                    "region": region,
                    "load_w": load.get(site_id),
                }
                for site_id, customer_id, region in event.reached
            ],
        )
        planned: dict[str, float] = {}
        for site_id, customer_id, _region in event.reached:
            if site_id in event.kept:
                cut = (1 - event.kept[site_id]) * load.get(site_id, 0) / 1000
                planned[customer_id] = planned.get(customer_id, 0) + cut
        session.add_all(
            NoticeAcknowledgement(
                notice_id=notice.id,
                customer_id=customer_id,
                planned_kw=max(int(round(kw, -1)), 10),
                via="lounge",
                at=event.starts_at - dt.timedelta(hours=20),
            )
            for customer_id, kw in sorted(planned.items())
        )
        ids.append(notice.id)
    session.flush()
    return ids
