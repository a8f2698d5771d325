"""Importing readings (``site_id,start,end,kwh[,quality]``): all or nothing, safe to repeat.

Every test runs on SQLite and on PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from db.models import ConsumptionMonthly
from db.session import Database
from lounge.ingest.problems import ImportRejected
from tests.factories import (
    READINGS_HEADER,
    add_customer,
    csv_bytes,
    daily,
    import_bytes,
    import_readings,
    import_rows,
    monthly,
    naive_local,
    problems,
    quarter_hours,
    readings,
    rejected,
    row_counts,
    seconds,
    snapshot,
    utc,
)

D = dt.date
HOUR = 3600
QUARTER = 900


@pytest.fixture
def sites(db: Database) -> Database:
    with db.session() as session:
        add_customer(session, "C1", "S1", "S2")
    return db


def q(n: int, site: str = "S1", kwh: str = "1.5") -> str:
    """The n-th quarter hour of 1 January 2025 (UTC) as a CSV row."""
    start = utc(2025, 1, 1) + dt.timedelta(minutes=15 * n)
    end = start + dt.timedelta(minutes=15)
    return f"{site},{start:%Y-%m-%dT%H:%M:%SZ},{end:%Y-%m-%dT%H:%M:%SZ},{kwh}"


# --- an accepted file -------------------------------------------------------------


def test_accepted_file_stores_readings_in_wh_a_batch_and_rollups(sites: Database):
    summary = import_readings(sites, q(0, kwh="1.5"), q(1, kwh="0.001"), q(2, site="S2", kwh="2"))

    assert (summary.rows, summary.inserted, summary.replaced, summary.unchanged) == (3, 3, 0, 0)
    start = seconds(utc(2025, 1, 1))
    assert readings(sites) == [
        ("S1", start, start + QUARTER, 1500, False),
        ("S1", start + QUARTER, start + 2 * QUARTER, 1, False),
        ("S2", start + 2 * QUARTER, start + 3 * QUARTER, 2000, False),
    ]
    counts = row_counts(sites)
    assert counts["import_batch"] == 1
    assert counts["audit_log"] == 1
    # 00:00 UTC is 02:00 in Israel: every reading lies in the local day 1 January
    assert daily(sites) == {
        ("S1", D(2025, 1, 1)): (1501, 6000),
        ("S2", D(2025, 1, 1)): (2000, 8000),
    }
    assert monthly(sites) == {("S1", D(2025, 1, 1)): 1501, ("S2", D(2025, 1, 1)): 2000}


def test_kwh_become_whole_watt_hours(sites: Database):
    cases = {"0": 0, "0.001": 1, "1e3": 1_000_000, "999999.999": 999_999_999, "12.3456": 12346,
             "0.0004": 0, "-0": 0}  # fmt: skip
    import_readings(sites, *(q(n, kwh=kwh) for n, kwh in enumerate(cases)))
    assert [wh for _site, _start, _end, wh, _estimated in readings(sites)] == list(cases.values())


def test_quality_is_optional_case_insensitive_and_may_be_left_out_at_the_row_end(sites: Database):
    import_rows(
        sites,
        "readings",
        READINGS_HEADER + ",quality",
        q(0) + ",Estimated",
        q(1) + ",actual",
        q(2) + ",",
        q(3),  # the optional last field left out altogether
    )
    assert [row[4] for row in readings(sites)] == [True, False, False, False]


def test_excel_style_file_with_bom_crlf_and_quotes_is_read(sites: Database):
    data = (
        "\ufeff" + READINGS_HEADER + "\r\n" + '"S1","2025-01-01T00:00:00Z",'
        '"2025-01-01T00:15:00Z","1.5"\r\n' + q(1) + "\r\n"
    ).encode()
    assert import_bytes(sites, "readings", data).inserted == 2


def test_plain_file_with_bom_and_crlf_line_ends_is_read(sites: Database):
    data = ("\ufeff" + "\r\n".join([READINGS_HEADER, q(0), q(1, site="S2")]) + "\r\n").encode()
    assert import_bytes(sites, "readings", data).inserted == 2
    assert [(site, wh) for site, _start, _end, wh, _estimated in readings(sites)] == [
        ("S1", 1500),
        ("S2", 1500),
    ]


def test_a_file_with_only_the_header_imports_nothing(sites: Database):
    summary = import_bytes(sites, "readings", csv_bytes(READINGS_HEADER))
    assert (summary.rows, summary.inserted) == (0, 0)
    assert row_counts(sites)["reading"] == 0


# --- rejected files: every bad row listed, nothing written --------------------------

S1_0015 = "S1,2025-01-01T00:15:00Z,2025-01-01T00:30:00Z"
S1_0030 = "S1,2025-01-01T00:30:00Z,2025-01-01T00:45:00Z"
S1_0045 = "S1,2025-01-01T00:45:00Z,2025-01-01T01:00:00Z"
S1_0100 = "S1,2025-01-01T01:00:00Z,2025-01-01T01:15:00Z"
S1_0115 = "S1,2025-01-01T01:15:00Z,2025-01-01T01:30:00Z"

BAD_ROWS = {
    "unknown site": (
        [q(0), q(1, site="NOPE"), q(2), q(3, site="")],
        [(3, "unknown site 'NOPE'"), (5, "site_id is empty")],
    ),
    "bad number": (
        [
            q(0),
            f"{S1_0015},abc",
            f"{S1_0030},",
            f"{S1_0045},1;5",
            f"{S1_0100},nan",
            f"{S1_0115},inf",
        ],
        [
            (3, "kwh 'abc' is not a number"),
            (4, "kwh '' is not a number"),
            (5, "kwh '1;5' is not a number"),
            (6, "kwh 'nan' is not a number"),
            (7, "kwh 'inf' is not a number"),
        ],
    ),
    "negative kwh": (
        [f"{S1_0015},-0.001", q(3), f"{S1_0030},-5"],
        [(2, "kwh is negative"), (4, "kwh is negative")],
    ),
    "kwh above one billion": (
        [f"{S1_0015},1000000000.001", f"{S1_0030},1000000000"],
        [(2, "kwh is above 1,000,000,000 for one reading")],
    ),
    "end not after start": (
        [
            "S1,2025-01-01T01:00:00Z,2025-01-01T01:00:00Z,1",
            q(0),
            "S1,2025-01-01T03:00:00Z,2025-01-01T02:00:00Z,1",
        ],
        [
            (2, "end '2025-01-01T01:00:00Z' is not after start '2025-01-01T01:00:00Z'"),
            (4, "end '2025-01-01T02:00:00Z' is not after start '2025-01-01T03:00:00Z'"),
        ],
    ),
    "bad date": (
        [
            "S1,2025-02-30T00:00:00,2025-03-01T00:00:00,1",
            "S1,2025-01-01T00:00:00Z,01/02/2025 00:00,1",
            q(4),
            "S1,,2025-01-01T00:15:00Z,1",
            "S1,2025-01-01T25:00:00,2025-01-02T01:00:00,1",
            "S1,yesterday,today,1",
        ],
        [
            (2, "start '2025-02-30T00:00:00' is not an ISO 8601 date and time"),
            (3, "end '01/02/2025 00:00' is not an ISO 8601 date and time"),
            (5, "start is empty"),
            (6, "start '2025-01-01T25:00:00' is not an ISO 8601 date and time"),
            (7, "end 'today' is not an ISO 8601 date and time"),
            (7, "start 'yesterday' is not an ISO 8601 date and time"),
        ],
    ),
    "interval shorter than 15 minutes": (
        [
            "S1,2025-01-01T00:00:00Z,2025-01-01T00:14:59Z,1",
            "S1,2025-01-01T00:15:00Z,2025-01-01T00:30:00Z,1",  # exactly 15 minutes is fine
            "S1,2025-01-01T01:00:00Z,2025-01-01T01:01:00Z,1",
        ],
        [
            (2, "the interval is shorter than 15 minutes"),
            (4, "the interval is shorter than 15 minutes"),
        ],
    ),
    "interval longer than two months": (
        [
            "S1,2025-01-01,2025-03-05,1",
            "S1,2024-12-15,2025-02-15,1",  # two months of 62 days: fine
            "S2,2025-07-01,2025-09-02,1",
            "S2,2025-03-01,2025-05-01,1",  # two months across the spring DST change: fine
        ],
        [
            (2, "the interval is longer than two months"),
            (4, "the interval is longer than two months"),
        ],
    ),
    "unknown quality": (
        ["S1,2025-01-01T00:00:00Z,2025-01-01T00:15:00Z,1,measured"],
        [(2, "quality 'measured' is not one of: actual, estimated")],
    ),
    "several problems on several rows": (
        [q(0), "X9,2025-01-01T00:15:00Z,2025-01-01T00:15:00Z,-1", q(2), f"{S1_0045},1.2.3"],
        [
            (3, "end '2025-01-01T00:15:00Z' is not after start '2025-01-01T00:15:00Z'"),
            (3, "kwh is negative"),
            (3, "unknown site 'X9'"),
            (5, "kwh '1.2.3' is not a number"),
        ],
    ),
}


def outcome(db: Database, data: bytes) -> list[tuple[int, str]] | str:
    """The problems listed for a file, or "accepted"."""
    try:
        import_bytes(db, "readings", data)
    except ImportRejected as refusal:
        return problems(refusal)
    return "accepted"


def test_bad_rows_reject_the_whole_file_and_are_all_listed(sites: Database):
    """Each case is a file of its own. A refused file writes nothing, so the cases
    can share one database, and nothing may be there at the end."""
    found = {}
    for name, (rows, _expected) in BAD_ROWS.items():
        with_quality = rows[0].count(",") == 4  # the case of a bad quality has the column
        header = READINGS_HEADER + (",quality" if with_quality else "")
        found[name] = outcome(sites, csv_bytes(header, *rows))
    assert found == {name: expected for name, (_rows, expected) in BAD_ROWS.items()}
    counts = row_counts(sites)
    assert (counts["reading"], counts["consumption_monthly"], counts["import_batch"]) == (0, 0, 0)
    assert (counts["consumption_daily"], counts["audit_log"]) == (0, 0)


BAD_FILES = {
    "missing column": (
        b"site_id,start,kwh\nS1,2025-01-01T00:00:00Z,1\n",
        [(1, "missing column(s): end")],
    ),
    "unknown column": (
        csv_bytes(READINGS_HEADER + ",meter", q(0) + ",M1"),
        [(1, "unknown column(s): meter; expected site_id, start, end, kwh, quality")],
    ),
    "repeated column": (
        csv_bytes(READINGS_HEADER + ",kwh", q(0) + ",2"),
        [(1, "repeated column(s): kwh")],
    ),
    "wrong field count": (
        csv_bytes(READINGS_HEADER, q(0), q(1) + ",extra", q(2), "S1,2025-01-01T00:45:00Z,1"),
        [(3, "expected 4 fields, found 5"), (5, "expected 4 fields, found 3")],
    ),
    "wrong field counts that add up": (
        # one row too long, a later one too short: as many commas as a good file
        csv_bytes(READINGS_HEADER, q(0) + ",extra", "S1,2025-01-01T00:45:00Z,1", q(2)),
        [(2, "expected 4 fields, found 5"), (3, "expected 4 fields, found 3")],
    ),
    "empty file": (b"", [(1, "the file is empty; expected a header row")]),
    "not UTF-8": (
        csv_bytes(READINGS_HEADER, q(0))
        + b"S\xe9,2025-01-01T00:15:00Z,2025-01-01T00:30:00Z,1\n"  # Latin-1
        + (q(2) + "\n").encode()
        + "S2,2025-01-01T00:45:00Z,2025-01-01T01:00:00Z,\u05d0\n".encode("cp1255"),
        [
            (3, "the text is not UTF-8 (byte 2 of the line); save the file as UTF-8"),
            (5, "the text is not UTF-8 (byte 46 of the line); save the file as UTF-8"),
        ],
    ),
}


def test_malformed_files_are_rejected_with_the_line_at_fault(sites: Database):
    import_readings(sites, q(0))  # something stored, that must stay as it is
    before, tables = row_counts(sites), snapshot(sites)
    found = {name: outcome(sites, data) for name, (data, _expected) in BAD_FILES.items()}
    assert found == {name: expected for name, (_data, expected) in BAD_FILES.items()}
    assert row_counts(sites) == before
    assert snapshot(sites) == tables


def test_a_key_given_twice_in_one_file_is_rejected(sites: Database):
    rows = [
        q(0),
        q(0, kwh="2"),
        q(1),
        # the same instants written as Israel wall time (UTC+2 in winter)
        "S1,2025-01-01T02:00:00,2025-01-01T02:15:00,1.5",
        q(0, site="S2"),  # another site: no clash
    ]
    refusal = rejected(sites, "readings", csv_bytes(READINGS_HEADER, *rows))
    assert problems(refusal) == [
        (3, "same site, start and end as line 2"),
        (5, "same site, start and end as line 2"),
    ]
    assert row_counts(sites)["reading"] == 0


def test_overlaps_inside_the_file_are_rejected_per_kind(sites: Database):
    rows = [
        q(0),
        "S1,2025-01-01T00:10:00Z,2025-01-01T00:25:00Z,1",  # overlaps line 2
        "S2,2025-01-01T00:10:00Z,2025-01-01T00:25:00Z,1",  # another site: fine
        "S1,2025-01-02,2025-01-03,24",  # a daily reading: interval kind, like the 15-minute ones
        "S1,2025-01-02T10:00:00Z,2025-01-02T10:15:00Z,1",  # inside that day
        "S1,2025-02-01,2025-03-01,100",  # billing reads
        "S1,2025-02-15,2025-03-15,100",  # overlaps the billing read of line 7
        "S1,2025-03-15,2025-04-15,100",  # adjacent: fine
    ]
    refusal = rejected(sites, "readings", csv_bytes(READINGS_HEADER, *rows))
    assert problems(refusal) == [
        (3, "overlaps the reading on line 2"),
        (6, "overlaps the reading on line 5"),
        (8, "overlaps the reading on line 7"),
    ]
    assert row_counts(sites)["reading"] == 0


def test_overlap_with_a_stored_reading_is_rejected_and_changes_nothing(sites: Database):
    import_readings(sites, q(0), q(1), "S1,2025-02-01,2025-03-01,100")
    before, tables = row_counts(sites), snapshot(sites)

    rows = [
        q(2),
        "S1,2025-01-01T00:05:00Z,2025-01-01T00:20:00Z,1",
        "S1,2025-02-15,2025-03-15,100",
    ]
    refusal = rejected(sites, "readings", csv_bytes(READINGS_HEADER, *rows))

    assert problems(refusal) == [
        (
            3,
            "overlaps a stored reading of site S1 "
            "from 2025-01-01T02:00:00+02:00 to 2025-01-01T02:15:00+02:00",
        ),
        (
            3,
            "overlaps a stored reading of site S1 "
            "from 2025-01-01T02:15:00+02:00 to 2025-01-01T02:30:00+02:00",
        ),
        (
            4,
            "overlaps a stored reading of site S1 "
            "from 2025-02-01T00:00:00+02:00 to 2025-03-01T00:00:00+02:00",
        ),
    ]
    assert row_counts(sites) == before
    assert snapshot(sites) == tables


def test_row_errors_and_clashes_between_rows_are_reported_together(sites: Database):
    import_readings(sites, q(0))
    rows = [
        f"{S1_0030},oops",
        q(1),
        q(1, kwh="7"),  # same key as line 3
        "S1,2024-12-31T23:50:00Z,2025-01-01T00:05:00Z,1",  # overlaps the stored reading
    ]
    refusal = rejected(sites, "readings", csv_bytes(READINGS_HEADER, *rows))
    assert problems(refusal) == [
        (2, "kwh 'oops' is not a number"),
        (4, "same site, start and end as line 3"),
        (
            5,
            "overlaps a stored reading of site S1 "
            "from 2025-01-01T02:00:00+02:00 to 2025-01-01T02:15:00+02:00",
        ),
    ]
    assert row_counts(sites)["reading"] == 1


def test_interval_readings_may_lie_inside_a_billing_read(sites: Database):
    import_readings(sites, "S1,2025-01-01,2025-02-01,31000")
    summary = import_readings(sites, q(0), q(1))
    assert summary.inserted == 2


# --- repeating and correcting ------------------------------------------------------


def autumn_and_billing_file() -> bytes:
    rows = [
        *quarter_hours("S1", utc(2025, 10, 25, 21), 100, kwh="0.25", write=naive_local),
        "S1,2025-10-01,2025-11-01,31000,estimated",
        *quarter_hours("S2", utc(2025, 1, 1), 8, kwh="1"),
    ]
    return csv_bytes(READINGS_HEADER + ",quality", *rows)


def test_importing_the_same_file_twice_changes_nothing(sites: Database):
    data = autumn_and_billing_file()
    first = import_bytes(sites, "readings", data)
    tables = snapshot(sites)

    second = import_bytes(sites, "readings", data)

    assert (first.inserted, first.replaced, first.unchanged) == (109, 0, 0)
    assert (second.rows, second.inserted, second.replaced, second.unchanged) == (109, 0, 0, 109)
    assert snapshot(sites) == tables  # readings keep the batch that brought them
    assert row_counts(sites)["import_batch"] == 2  # the second import is on record, as a no-op


def test_a_new_value_for_a_known_reading_replaces_it_and_updates_the_rollups(sites: Database):
    import_readings(sites, q(0, kwh="1"), q(1, kwh="1"), "S2,2025-02-01,2025-03-01,100")
    assert daily(sites, "S1")[("S1", D(2025, 1, 1))] == (2000, 4000)

    summary = import_rows(
        sites,
        "readings",
        READINGS_HEADER + ",quality",
        q(0, kwh="1") + ",actual",  # unchanged
        q(1, kwh="3") + ",estimated",  # corrected value and quality
        "S2,2025-02-01,2025-03-01,250",  # corrected billing read
        q(2, kwh="1"),  # new
    )

    assert (summary.inserted, summary.replaced, summary.unchanged) == (1, 2, 1)
    assert [(row[3], row[4]) for row in readings(sites)] == [
        (1000, False),
        (3000, True),
        (1000, False),
        (250_000, False),
    ]
    assert daily(sites, "S1") == {("S1", D(2025, 1, 1)): (5000, 12000)}
    assert monthly(sites) == {("S1", D(2025, 1, 1)): 5000, ("S2", D(2025, 2, 1)): 250_000}


def test_a_quality_change_alone_is_a_correction(sites: Database):
    import_readings(sites, q(0))
    summary = import_rows(sites, "readings", READINGS_HEADER + ",quality", q(0) + ",estimated")
    assert (summary.replaced, summary.unchanged) == (1, 0)
    assert readings(sites)[0][4] is True


# --- finer data wins ----------------------------------------------------------------


@pytest.mark.parametrize("billing_first", [True, False], ids=["billing-first", "interval-first"])
def test_interval_data_replaces_the_billing_read_for_the_time_it_covers(
    sites: Database, billing_first: bool
):
    billing = ["S1,2025-01-01,2025-02-01,31000"]  # 1,000 kWh a day
    # 10 January, local day: 96 quarter hours of 0.25 kWh
    interval = quarter_hours("S1", utc(2025, 1, 9, 22), 96, kwh="0.25")
    for rows in (billing, interval) if billing_first else (interval, billing):
        import_readings(sites, *rows)

    # 30 days uncovered of the billing read + the day of interval data
    assert monthly(sites) == {("S1", D(2025, 1, 1)): 30_000_000 + 24_000}
    assert daily(sites) == {("S1", D(2025, 1, 10)): (24_000, 1000)}


def test_a_two_month_billing_read_counts_only_where_no_interval_reading_does(sites: Database):
    import_readings(sites, "S1,2024-12-15,2025-02-15,62000")  # 1,000 kWh a day
    import_readings(sites, *quarter_hours("S1", utc(2025, 1, 9, 22), 96, kwh="0.5"))
    # and a partial day at the end of the read: 14 February 12:00-24:00 local
    import_readings(sites, *quarter_hours("S1", utc(2025, 2, 14, 10), 48, kwh="0.5"))

    assert monthly(sites) == {
        ("S1", D(2024, 12, 1)): 17_000_000,
        ("S1", D(2025, 1, 1)): 30_000_000 + 48_000,
        ("S1", D(2025, 2, 1)): 13_500_000 + 24_000,
    }


def test_a_site_with_billing_reads_and_interval_data_at_other_times(sites: Database):
    """A site moving from billing reads to a smart meter: nothing overlaps."""
    import_readings(sites, "S1,2025-01-01,2025-02-01,31000")
    import_readings(sites, *quarter_hours("S1", utc(2025, 3, 9, 22), 4, kwh="1"))
    import_readings(sites, "S1,2025-02-01,2025-03-01,28000")

    assert monthly(sites) == {
        ("S1", D(2025, 1, 1)): 31_000_000,
        ("S1", D(2025, 2, 1)): 28_000_000,
        ("S1", D(2025, 3, 1)): 4_000,
    }


def test_estimated_energy_is_tracked_through_the_rollups(sites: Database):
    import_rows(
        sites,
        "readings",
        READINGS_HEADER + ",quality",
        "S1,2025-01-01,2025-02-01,31000,estimated",
        *(row + ",estimated" for row in quarter_hours("S1", utc(2025, 1, 9, 22), 4, kwh="1")),
    )
    with sites.session() as session:
        month = session.get(ConsumptionMonthly, ("S1", D(2025, 1, 1)))
        assert month is not None
        assert month.wh == month.estimated_wh
        assert month.wh == 31_000_000 - 31_000_000 * 3600 // (31 * 86400) + 4000


# --- time zones ---------------------------------------------------------------------


TIMES = [
    # start, end, the instant of start, the length in seconds
    ("2025-01-01T00:00:00Z", "2025-01-01T00:15:00Z", utc(2025, 1, 1), QUARTER),
    ("2025-01-01T02:00:00+02:00", "2025-01-01T02:15:00+02:00", utc(2025, 1, 1), QUARTER),
    ("2024-12-31T19:00:00-05:00", "2024-12-31T19:15:00-05:00", utc(2025, 1, 1), QUARTER),
    ("2025-01-01T02:00:00", "2025-01-01T02:15:00", utc(2025, 1, 1), QUARTER),  # winter: +2
    ("2025-01-01 02:00", "2025-01-01 02:15", utc(2025, 1, 1), QUARTER),
    ("2025-01-01T02:00:00.000+02:00", "2025-01-01T00:15:00z", utc(2025, 1, 1), QUARTER),
    ("2025-07-01T03:00:00", "2025-07-01T03:15:00", utc(2025, 7, 1), QUARTER),  # summer: +3
    ("2025-07-01T05:30:00+05:30", "2025-07-01T00:15:00+00:00", utc(2025, 7, 1), QUARTER),
    ("2025-07-01", "2025-07-02", utc(2025, 6, 30, 21), 24 * HOUR),  # local midnights
    ("2025-03-28", "2025-03-29", utc(2025, 3, 27, 22), 23 * HOUR),  # spring DST day
    ("2025-10-26", "2025-10-27", utc(2025, 10, 25, 21), 25 * HOUR),  # autumn DST day
    ("2025-10-26T00:00:00+03:00", "2025-10-26T02:00:00+02:00", utc(2025, 10, 25, 21), 3 * HOUR),
]


def test_times_with_an_offset_are_instants_and_without_one_israel_time(db: Database):
    sites = [f"T{n}" for n in range(len(TIMES))]
    with db.session() as session:
        add_customer(session, "C1", *sites)
    rows = [f"{site},{start},{end},1" for site, (start, end, *_) in zip(sites, TIMES, strict=True)]
    import_readings(db, *rows)
    stored = {site: (start, end - start) for site, start, end, _wh, _estimated in readings(db)}
    assert stored == {
        site: (seconds(instant), length)
        for site, (_start, _end, instant, length) in zip(sites, TIMES, strict=True)
    }


def test_autumn_repeated_quarter_hour_given_twice_is_first_summer_then_winter_time(
    sites: Database,
):
    import_readings(
        sites,
        "S1,2025-10-26T01:00:00,2025-10-26T01:15:00,1",
        "S1,2025-10-26T01:00:00,2025-10-26T01:15:00,2",
    )
    assert readings(sites) == [
        ("S1", seconds(utc(2025, 10, 25, 22)), seconds(utc(2025, 10, 25, 22, 15)), 1000, False),
        ("S1", seconds(utc(2025, 10, 25, 23)), seconds(utc(2025, 10, 25, 23, 15)), 2000, False),
    ]


def test_autumn_repeated_hour_of_hourly_readings_given_twice(sites: Database):
    import_readings(
        sites,
        "S1,2025-10-26T00:00:00,2025-10-26T01:00:00,1",
        "S1,2025-10-26T01:00:00,2025-10-26T02:00:00,2",  # 01:00-02:00 summer time
        "S1,2025-10-26T01:00:00,2025-10-26T02:00:00,3",  # 01:00-02:00 winter time
        "S1,2025-10-26T02:00:00,2025-10-26T03:00:00,4",
    )
    hours = [(start, end, wh) for _site, start, end, wh, _estimated in readings(sites)]
    first = seconds(utc(2025, 10, 25, 21))
    assert hours == [(first + i * HOUR, first + (i + 1) * HOUR, (i + 1) * 1000) for i in range(4)]


@pytest.mark.parametrize(
    "write",
    [
        naive_local,  # a converter: the summer-time pass ends at 01:00 (winter time)
        None,  # a naive exporter: start wall time + 15 minutes, so 01:45-02:00 twice
    ],
    ids=["wall-times-of-instants", "wall-time-plus-15-minutes"],
)
def test_a_whole_autumn_dst_day_of_quarter_hours_in_local_time(sites: Database, write):
    first = utc(2025, 10, 25, 21)  # local midnight, summer time
    if write is None:
        rows = []
        for i in range(100):
            start = dt.datetime.fromisoformat(naive_local(first + dt.timedelta(minutes=15 * i)))
            end = start + dt.timedelta(minutes=15)
            rows.append(f"S1,{start.isoformat()},{end.isoformat()},0.25")
        assert rows[7].split(",")[1:3] == ["2025-10-26T01:45:00", "2025-10-26T02:00:00"]
        assert rows[11].split(",")[1:3] == ["2025-10-26T01:45:00", "2025-10-26T02:00:00"]
    else:
        rows = quarter_hours("S1", first, 100, kwh="0.25", write=write)
        assert rows[7].split(",")[1:3] == ["2025-10-26T01:45:00", "2025-10-26T01:00:00"]

    summary = import_readings(sites, *rows)

    assert summary.inserted == 100
    starts = [start for _site, start, _end, _wh, _estimated in readings(sites)]
    assert starts == [seconds(first) + i * QUARTER for i in range(100)]
    assert daily(sites) == {("S1", D(2025, 10, 26)): (25_000, 1000)}
    assert import_readings(sites, *rows).unchanged == 100


def test_spring_times_that_do_not_exist_in_israel_are_rejected(sites: Database):
    rows = [
        "S1,2026-03-27T01:45:00,2026-03-27T03:00:00,1",  # the quarter hour before the jump
        "S1,2026-03-27T02:00:00,2026-03-27T02:15:00,1",
        "S1,2026-03-27T02:30:00+03:00,2026-03-27T02:45:00+03:00,1",  # with an offset: fine
        "S1,2026-03-27T03:00:00,2026-03-27T02:59:00,1",
    ]
    refusal = rejected(sites, "readings", csv_bytes(READINGS_HEADER, *rows))
    advice = (
        "does not exist in Israel time (clocks move forward); give the time with its UTC offset"
    )
    assert problems(refusal) == [
        (3, f"end '2026-03-27T02:15:00' {advice}"),
        (3, f"start '2026-03-27T02:00:00' {advice}"),
        (5, f"end '2026-03-27T02:59:00' {advice}"),
    ]


def test_a_whole_spring_dst_day_of_quarter_hours_in_local_time(sites: Database):
    first = utc(2026, 3, 26, 22)  # local midnight, winter time
    rows = quarter_hours("S1", first, 92, kwh="0.25", write=naive_local)
    assert rows[7].split(",")[1:3] == ["2026-03-27T01:45:00", "2026-03-27T03:00:00"]

    import_readings(sites, *rows)

    lengths = {end - start for _site, start, end, _wh, _estimated in readings(sites)}
    assert lengths == {QUARTER}
    assert daily(sites) == {("S1", D(2026, 3, 27)): (23_000, 1000)}


def test_the_summary_counts_values_finer_than_1_wh_and_what_rounding_changed(db: Database):
    with db.session() as session:
        add_customer(session, "C1", "S1")
    summary = import_readings(
        db,
        "S1,2025-01-01T00:00,2025-01-01T00:15,1.0004",  # 1000.4 Wh -> 1000: -0.4
        "S1,2025-01-01T00:15,2025-01-01T00:30,2.00045",  # 2000.45 Wh -> 2000: -0.45
        "S1,2025-01-01T00:30,2025-01-01T00:45,3.5",  # whole Wh: exact
        "S1,2025-01-01T00:45,2025-01-01T01:00,2.5e-3",  # 2.5 Wh -> 2 (half to even): -0.5
    )
    assert (summary.finer_than_wh, summary.rounding_wh) == (3, pytest.approx(-1.35))
    assert str(summary).endswith(
        "3 values were finer than 1 Wh; rounding to whole Wh changed the total by -1.350 Wh"
    )
    exact = import_readings(db, "S1,2025-01-02T00:00,2025-01-02T00:15,1.000")
    assert (exact.finer_than_wh, str(exact).count("Wh")) == (0, 0)


def test_postgresql_planner_sees_the_imported_rows_at_once(sites: Database):
    """The import analyses the tables it filled: until then PostgreSQL plans as if they were
    empty (the portfolio's invoice list took 6 s instead of 70 ms on the demo)."""
    if sites.engine.dialect.name != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's; SQLite plans without statistics here")
    import_readings(sites, *(q(n) for n in range(37)))

    with sites.engine.connect() as connection:
        planned = dict(
            connection.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class WHERE relname IN "
                    "('reading', 'consumption_daily', 'consumption_monthly')"
                )
            ).all()
        )
    assert planned == {"reading": 37, "consumption_daily": 1, "consumption_monthly": 1}
