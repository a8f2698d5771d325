"""The VIP rule: 12 complete local months before the as-of month, 1,000,000 kWh at one
site or 5,000,000 kWh over all sites (inclusive), pro rata at the window edges;
entries and exits recorded only when the status changes.

Every test runs on SQLite and on PostgreSQL (the ``db`` fixture). Consumption
comes in through the readings import, as in production.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import ClassificationRun, VipEvent, VipStatus
from db.session import Database
from lounge import admin, classification
from lounge.access import SYSTEM
from lounge.membership import current_window, memberships
from tests.factories import (
    add_customer,
    cli,
    cli_csv,
    import_readings,
    import_rows,
    month_reads,
)

D = dt.date
#: As of any day in January 2026 the window is January to December 2025.
AS_OF = D(2026, 1, 15)


def customer(db: Database, customer_id: str, *site_ids: str) -> None:
    with db.session() as session:
        add_customer(session, customer_id, *site_ids)


def classify(db: Database, as_of: dt.date) -> classification.RunResult:
    with db.session() as session:
        return classification.classify(session, as_of, "test")


def status(db: Database, customer_id: str) -> tuple[bool, dt.date, str | None] | None:
    with db.session() as session:
        row = session.get(VipStatus, customer_id)
        return None if row is None else (row.is_vip, row.since, row.rule)


def events(db: Database) -> list[tuple[str, str, dt.date, str, int, int, str | None]]:
    with db.session() as session:
        return [
            (
                e.customer_id,
                e.event,
                e.effective_date,
                e.rule,
                e.window_wh,
                e.max_site_wh,
                e.max_site_id,
            )
            for e in session.scalars(select(VipEvent).order_by(VipEvent.id))
        ]


def listed(db: Database, customer_id: str) -> dict[str, str]:
    """The customer's row as ``vip list --format csv`` prints it."""
    with db.session() as session:
        rows = {row.customer_id: row.as_csv() for row in memberships(session, SYSTEM)}
    return rows[customer_id]


# --- thresholds ---------------------------------------------------------------------


def test_exactly_one_million_kwh_at_one_site_over_the_year_is_membership(db: Database):
    customer(db, "C1", "S1")
    # 11 months of 80,000 kWh and 120,000 in December: 1,000,000 kWh
    import_readings(
        db, *month_reads("S1", 2025, {m: "80000" for m in range(1, 12)} | {12: "120000"})
    )

    result = classify(db, AS_OF)

    assert result.entered == ["C1"]
    assert status(db, "C1") == (True, AS_OF, "site")
    assert events(db) == [("C1", "enter", AS_OF, "site", 10**9, 10**9, "S1")]
    assert listed(db, "C1") == {
        "customer_id": "C1",
        "name": "Customer C1",
        "is_vip": "true",
        "rule": "site",
        "window_kwh": "1000000",
        "max_site_kwh": "1000000",
        "since": "2026-01-15",
    }


FIVE_SITES_BELOW_ONE_MILLION = {s: "999999.999" for s in "ABCDE"}

#: customer: (kWh of each of its sites, expected vip list is_vip, rule, window_kwh)
THRESHOLD_CASES = {
    "site-exact": ({"A": "1000000"}, "true", "site", "1000000"),
    "site-below": ({"A": "999999.999"}, "false", "", "999999.999"),
    "site-plus-small": ({"A": "1000000", "B": "3"}, "true", "site", "1000003"),
    # five sites of 900,000 and one of 500,000: 5,000,000 kWh, no site reaches 1,000,000
    "multi-exact": (
        {"A": "900000", "B": "900000", "C": "900000", "D": "900000", "E": "900000",
         "F": "500000"},
        "true", "multi-site", "5000000",
    ),
    "multi-below": (
        {"A": "900000", "B": "900000", "C": "900000", "D": "900000", "E": "900000",
         "F": "499999.999"},
        "false", "", "4999999.999",
    ),
    "multi-exact-in-wh": (
        FIVE_SITES_BELOW_ONE_MILLION | {"F": "0.005"}, "true", "multi-site", "5000000",
    ),
    "both-below": (FIVE_SITES_BELOW_ONE_MILLION, "false", "", "4999999.995"),
    "both-rules": ({"A": "1000000", "B": "4000000"}, "true", "site", "5000000"),
    "one-big-site": ({"A": "5000000"}, "true", "site", "5000000"),
}  # fmt: skip


def test_thresholds_are_inclusive_and_the_site_rule_wins(db: Database):
    """Each case is a customer of its own; one run classifies them all."""
    rows = []
    for name, (kwh_by_site, *_expected) in THRESHOLD_CASES.items():
        customer(db, name, *(f"{name}-{site}" for site in kwh_by_site))
        for site, kwh in kwh_by_site.items():
            rows += month_reads(f"{name}-{site}", 2025, {6: kwh})
    import_readings(db, *rows)

    result = classify(db, AS_OF)

    with db.session() as session:
        listing = {row.customer_id: row.as_csv() for row in memberships(session, SYSTEM)}
    assert {
        name: (row["is_vip"], row["rule"], row["window_kwh"]) for name, row in listing.items()
    } == {name: tuple(expected) for name, (_sites, *expected) in THRESHOLD_CASES.items()}
    members = sorted(name for name, case in THRESHOLD_CASES.items() if case[1] == "true")
    assert sorted(result.entered) == members
    assert sorted((e[0], e[1], e[3]) for e in events(db)) == [
        (name, "enter", THRESHOLD_CASES[name][2]) for name in members
    ]


# --- the window ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month_read", "as_of", "member"),
    [
        (D(2026, 1, 1), D(2026, 1, 31), False),  # the as-of month itself does not count
        (D(2026, 1, 1), D(2026, 2, 1), True),  # on the 1st the month before is complete
        (D(2026, 1, 1), D(2026, 2, 28), True),  # and still on the last day of the month
        (D(2026, 1, 1), D(2027, 1, 31), True),  # the 12th month back
        (D(2026, 1, 1), D(2027, 2, 1), False),  # the 13th month back
        (D(2024, 12, 1), D(2026, 1, 1), False),
        (D(2025, 1, 1), D(2026, 1, 1), True),
        (D(2025, 12, 1), D(2025, 12, 31), False),
    ],
)
def test_the_window_is_the_twelve_complete_months_before_the_as_of_month(
    db: Database, month_read: dt.date, as_of: dt.date, member: bool
):
    customer(db, "C1", "S1")
    import_readings(db, *month_reads("S1", month_read.year, {month_read.month: "1000000"}))

    result = classify(db, as_of)

    assert result.entered == (["C1"] if member else [])
    first = D(as_of.year - 1, as_of.month, 1)
    assert (result.run.window_start, result.run.window_end) == (first, as_of.replace(day=1))
    assert listed(db, "C1")["window_kwh"] == ("1000000" if member else "0")


@pytest.mark.parametrize(
    ("june_kwh", "member"), [("66000", True), ("65999.999", False)], ids=["exact", "below"]
)
def test_reads_across_the_window_edges_count_pro_rata_by_time(
    db: Database, june_kwh: str, member: bool
):
    customer(db, "C1", "S1")
    import_readings(
        db,
        # 62 days, 20,000 kWh a day: 1 January to 15 February is in the window (900,000)
        "S1,2024-12-15,2025-02-15,1240000",
        "S1,2025-06-01,2025-07-01," + june_kwh,
        # 62 days, 2,000 kWh a day: 15 to 31 December is in the window (34,000)
        "S1,2025-12-15,2026-02-15,124000",
    )

    classify(db, AS_OF)

    row = listed(db, "C1")
    assert row["is_vip"] == ("true" if member else "false")
    assert row["window_kwh"] == ("1000000" if member else "999999.999")


@pytest.mark.parametrize(
    ("read", "as_of", "in_window_kwh"),
    [
        # 743 hours (clocks jump forward on 28 March); April is 14 days, 336 hours
        ("S1,2025-03-15,2025-04-15,743000", D(2026, 4, 10), 336_000),
        # 745 hours (clocks go back on 26 October); the October part is 409 hours
        ("S1,2025-10-15,2025-11-15,745000", D(2025, 11, 5), 409_000),
    ],
    ids=["spring", "autumn"],
)
def test_a_read_across_a_dst_change_counts_by_time_not_by_days(
    db: Database, read: str, as_of: dt.date, in_window_kwh: int
):
    customer(db, "C1", "S1")
    top_up = 1_000_000 - in_window_kwh
    import_readings(db, read, f"S1,2025-06-01,2025-07-01,{top_up}")

    result = classify(db, as_of)

    # shared by calendar days instead, the read would leave the total ~450 kWh short
    assert result.entered == ["C1"]
    assert listed(db, "C1")["window_kwh"] == "1000000"


def test_sites_whose_readings_end_or_begin_inside_the_window_count_their_months_there(
    db: Database,
):
    """S1's readings end in May 2025, S2's begin in October 2025 and go on."""
    customer(db, "C1", "S1", "S2")
    import_readings(
        db,
        *month_reads("S1", 2024, {m: "10000" for m in range(1, 13)}),
        *month_reads("S1", 2025, {m: "200000" for m in range(1, 6)}),
        *month_reads("S2", 2025, {m: "50000" for m in range(10, 13)}),
        *month_reads("S2", 2026, {m: "50000" for m in range(1, 7)}),
    )

    # the window 2025: 1,000,000 kWh at S1, 150,000 at S2
    assert classify(db, AS_OF).entered == ["C1"]
    # February 2025 to January 2026: 800,000 kWh at S1, 200,000 at S2
    assert classify(db, D(2026, 2, 1)).exited == ["C1"]
    assert events(db) == [
        ("C1", "enter", AS_OF, "site", 1_150_000_000, 1_000_000_000, "S1"),
        ("C1", "exit", D(2026, 2, 1), "site", 1_000_000_000, 800_000_000, "S1"),
    ]
    # June 2025 to May 2026: S1's readings ended before it
    classify(db, D(2026, 6, 1))
    assert (listed(db, "C1")["window_kwh"], listed(db, "C1")["max_site_kwh"]) == (
        "400000",
        "400000",
    )


def test_the_supplier_of_a_site_does_not_matter(db: Database):
    suppliers = ["IEC", "Dalia", "", "Electra", "Amisragas", "Cellcom"]
    import_rows(db, "customers", "customer_id,name,tax_id", "C1,Acme,T1")
    import_rows(
        db,
        "sites",
        "site_id,customer_id,name,region,supplier",
        *(f"S{n},C1,Site {n},North,{supplier}" for n, supplier in enumerate(suppliers)),
    )
    # 900,000 kWh at five sites and 500,000 at the sixth: 5,000,000 from six suppliers
    import_readings(
        db,
        *(
            row
            for n in range(6)
            for row in month_reads(f"S{n}", 2025, {n + 1: "500000" if n == 5 else "900000"})
        ),
    )
    assert classify(db, AS_OF).entered == ["C1"]
    assert listed(db, "C1") == {
        "customer_id": "C1",
        "name": "Acme",
        "is_vip": "true",
        "rule": "multi-site",
        "window_kwh": "5000000",
        "max_site_kwh": "900000",
        "since": AS_OF.isoformat(),
    }

    # every site moves to one supplier: nothing changes
    import_rows(
        db,
        "sites",
        "site_id,customer_id,name,region,supplier",
        *(f"S{n},C1,Site {n},North,IEC" for n in range(6)),
    )
    assert classify(db, AS_OF).exited == []
    assert listed(db, "C1")["rule"] == "multi-site"


# --- events -------------------------------------------------------------------------


def test_a_second_run_with_no_change_records_no_event(db: Database):
    customer(db, "C1", "S1")
    customer(db, "C2", "S2")
    import_readings(db, *month_reads("S1", 2025, {3: "1000000"}))

    first = classify(db, AS_OF)
    second = classify(db, AS_OF)
    third = classify(db, D(2026, 2, 20))

    assert (first.entered, second.entered, second.exited, third.entered) == (["C1"], [], [], [])
    assert len(events(db)) == 1
    assert status(db, "C1") == (True, AS_OF, "site")  # since: the entry, not the last run
    assert status(db, "C2") is None
    with db.session() as session:
        runs = session.execute(
            select(
                ClassificationRun.as_of,
                ClassificationRun.customers,
                ClassificationRun.members,
                ClassificationRun.entered,
                ClassificationRun.exited,
            ).order_by(ClassificationRun.id)
        ).all()
    assert [tuple(run) for run in runs] == [
        (AS_OF, 2, 1, 1, 0),
        (AS_OF, 2, 1, 0, 0),
        (D(2026, 2, 20), 2, 1, 0, 0),
    ]


def test_enter_exit_and_enter_again(db: Database):
    customer(db, "C1", "S1", "S2")
    import_readings(
        db, *month_reads("S1", 2025, {3: "1000000"}), *month_reads("S2", 2025, {5: "7"})
    )

    classify(db, AS_OF)
    # as of April 2026 the window starts in April 2025: March 2025 is out
    left = classify(db, D(2026, 4, 1))
    assert left.exited == ["C1"]
    assert status(db, "C1") == (False, D(2026, 4, 1), None)
    assert listed(db, "C1") | {"name": ""} == {
        "customer_id": "C1",
        "name": "",
        "is_vip": "false",
        "rule": "",
        "window_kwh": "7",
        "max_site_kwh": "7",
        "since": "",
    }

    import_readings(db, *month_reads("S2", 2026, {2: "1200000"}))
    back = classify(db, D(2026, 5, 1))
    assert back.entered == ["C1"]
    assert status(db, "C1") == (True, D(2026, 5, 1), "site")
    assert events(db) == [
        ("C1", "enter", AS_OF, "site", 1_000_007_000, 1_000_000_000, "S1"),
        # an exit carries the rule of the membership that ended, and the figures
        ("C1", "exit", D(2026, 4, 1), "site", 7000, 7000, "S2"),
        ("C1", "enter", D(2026, 5, 1), "site", 1_200_007_000, 1_200_007_000, "S2"),
    ]


def test_the_exit_of_a_multi_site_membership_carries_its_rule(db: Database):
    customer(db, "C1", "S1", "S2", "S3", "S4", "S5", "S6")
    import_readings(
        db, *(row for n in range(1, 7) for row in month_reads(f"S{n}", 2025, {n: "850000"}))
    )
    assert classify(db, AS_OF).entered == ["C1"]  # 5,100,000 kWh over six sites
    # as of March 2026, January and February 2025 are out: 3,400,000 kWh remain
    assert classify(db, D(2026, 3, 1)).exited == ["C1"]
    assert [(e[1], e[3], e[4]) for e in events(db)] == [
        ("enter", "multi-site", 5_100_000_000),
        ("exit", "multi-site", 3_400_000_000),
    ]


def test_a_member_that_stays_in_under_another_rule_exits_under_that_rule(db: Database):
    customer(db, "C1", "S1", "S2", "S3", "S4", "S5", "S6")
    import_readings(
        db,
        *month_reads("S1", 2025, {1: "1000000"}),
        *(row for n in range(2, 7) for row in month_reads(f"S{n}", 2025, {6: "900000"})),
        *month_reads("S1", 2026, {1: "500000"}),
    )
    assert classify(db, AS_OF).entered == ["C1"]  # S1 has 1,000,000 kWh: rule site
    # window February 2025 - January 2026: no site has 1,000,000, all have 5,000,000
    assert classify(db, D(2026, 2, 1)).entered == []
    assert listed(db, "C1")["rule"] == "multi-site"
    assert status(db, "C1") == (True, AS_OF, "multi-site")  # still a member since the entry
    # window August 2025 - July 2026: only S1's 500,000 kWh of January 2026 remain
    assert classify(db, D(2026, 8, 1)).exited == ["C1"]

    assert [(e[1], e[3]) for e in events(db)] == [("enter", "site"), ("exit", "multi-site")]


def test_a_correction_takes_effect_in_the_figures_now_and_in_the_status_at_the_next_run(
    db: Database,
):
    customer(db, "C1", "S1")
    import_readings(db, "S1,2025-03-01,2025-04-01,1000000")
    classify(db, AS_OF)

    import_readings(db, "S1,2025-03-01,2025-04-01,999999")

    assert listed(db, "C1")["is_vip"] == "true"
    assert listed(db, "C1")["window_kwh"] == "999999"
    assert classify(db, AS_OF).exited == ["C1"]
    assert listed(db, "C1")["is_vip"] == "false"


def test_a_member_listed_between_runs_keeps_the_rule_of_its_membership(db: Database):
    customer(db, "C1", "S1")
    import_readings(db, "S1,2025-03-01,2025-04-01,1000000")
    classify(db, AS_OF)
    import_readings(db, "S1,2025-03-01,2025-04-01,999999")
    row = listed(db, "C1")
    assert (row["is_vip"], row["rule"]) == ("true", "site")


# --- what people read: vip list and vip history ----------------------------------------


def test_vip_list_and_history_csv(db: Database):
    customer(db, "C1", "S1")
    customer(db, "C2", "S2a", "S2b", "S2c", "S2d", "S2e")
    customer(db, "C3", "S3")
    customer(db, "C4")  # no sites, no readings
    customer(db, "C5", "S5")  # a site without readings
    import_readings(
        db,
        *month_reads("S1", 2025, {1: "600000", 2: "400000.5"}),
        *(row for s in "abcde" for row in month_reads(f"S2{s}", 2025, {7: "1000000"})),
        *month_reads("S3", 2025, {12: "999999.999"}),
    )
    classify(db, D(2026, 1, 1))
    import_readings(db, *month_reads("S1", 2025, {1: "10"}))  # correction after the run
    classify(db, D(2026, 1, 20))

    listing = cli("vip", "list", "--format", "csv")
    assert listing.exit_code == 0
    assert listing.stdout == (
        "customer_id,name,is_vip,rule,window_kwh,max_site_kwh,since\n"
        "C1,Customer C1,false,,400010.5,400010.5,\n"
        "C2,Customer C2,true,site,5000000,1000000,2026-01-01\n"
        "C3,Customer C3,false,,999999.999,999999.999,\n"
        "C4,Customer C4,false,,0,0,\n"
        "C5,Customer C5,false,,0,0,\n"
    )

    history = cli("vip", "history", "--format", "csv")
    assert history.exit_code == 0
    assert history.stdout == (
        "customer_id,event,effective_date,rule,window_kwh\n"
        "C1,enter,2026-01-01,site,1000000.5\n"
        "C2,enter,2026-01-01,site,5000000\n"
        "C1,exit,2026-01-20,site,400010.5\n"
    )
    assert cli("vip", "history", "--customer", "C1", "--format", "csv").stdout == (
        "customer_id,event,effective_date,rule,window_kwh\n"
        "C1,enter,2026-01-01,site,1000000.5\n"
        "C1,exit,2026-01-20,site,400010.5\n"
    )
    assert cli("vip", "history", "--customer", "C4", "--format", "csv").stdout == (
        "customer_id,event,effective_date,rule,window_kwh\n"
    )


def test_vip_list_before_any_run_lists_every_customer_as_not_vip(db: Database):
    customer(db, "C1", "S1")
    import_readings(db, "S1,2025-03-01,2025-04-01,2000000")
    rows = cli_csv("vip", "list")
    assert [(r["customer_id"], r["is_vip"], r["since"]) for r in rows] == [("C1", "false", "")]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(VipEvent)) == 0


# --- a run dated before the latest one ------------------------------------------------


def test_a_backdated_run_replays_the_later_dates_so_the_latest_status_stands(db: Database):
    """The issue's scenario: ``classify --as-of 2026-12-01``, then ``--as-of 2026-04-10``."""
    customer(db, "C1", "S1")  # in by December's window only
    customer(db, "C2", "S2")  # in by January's and April's windows, out by December's
    customer(db, "C3", "S3")  # in by April's and December's windows
    import_readings(
        db,
        *month_reads("S1", 2026, {5: "1000000"}),
        *month_reads("S2", 2025, {6: "1000000"}),
        *month_reads("S3", 2026, {2: "1000000"}),
    )
    for as_of in ("2026-01-15", "2026-12-01", "2026-04-10"):
        result = cli("classify", "--as-of", as_of)
        assert result.exit_code == 0, result.output
    assert "later dates classified again, so the status is the latest's: 2026-12-01" in (
        result.output
    )

    assert status(db, "C1") == (True, D(2026, 12, 1), "site")
    assert status(db, "C2") == (False, D(2026, 12, 1), None)
    assert status(db, "C3") == (True, D(2026, 4, 10), "site")
    history = sorted((e[0], e[2], e[1]) for e in events(db))
    assert history == [
        ("C1", D(2026, 12, 1), "enter"),
        ("C2", D(2026, 1, 15), "enter"),
        ("C2", D(2026, 12, 1), "exit"),
        ("C3", D(2026, 4, 10), "enter"),
    ]
    with db.session() as session:
        window, classified = current_window(session)
        as_of_dates = session.scalars(
            select(ClassificationRun.as_of).order_by(ClassificationRun.as_of)
        ).all()
    assert (window.start, window.last_day, classified) == (D(2025, 12, 1), D(2026, 11, 30), True)
    assert as_of_dates == [D(2026, 1, 15), D(2026, 4, 10), D(2026, 12, 1)]
    assert [row["customer_id"] for row in cli_csv("vip", "list") if row["is_vip"] == "true"] == [
        "C1",
        "C3",
    ]


def test_the_admin_action_replays_later_dates_too(db: Database):
    customer(db, "C1", "S1")
    import_readings(db, *month_reads("S1", 2025, {6: "1000000"}))
    with db.session() as session:
        admin.run_classification(session, SYSTEM, D(2026, 12, 1))
        result = admin.run_classification(session, SYSTEM, D(2026, 4, 10))
    assert (result.entered, result.replayed) == (["C1"], [D(2026, 12, 1)])
    assert status(db, "C1") == (False, D(2026, 12, 1), None)
    assert [(e[1], e[2]) for e in events(db)] == [
        ("enter", D(2026, 4, 10)),
        ("exit", D(2026, 12, 1)),
    ]
