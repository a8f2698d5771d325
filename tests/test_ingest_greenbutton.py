"""Green Button import: the public sample files end to end, and what refuses a file.

Expected figures come from the files themselves, read here with a plain
ElementTree pass (not the importer's code), and from the sample set's README
(8,760 hourly readings in a year, 216 in nine days).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from db.models import AuditLog, ConsumptionDaily, ConsumptionMonthly, ImportBatch, Reading
from db.session import Database
from lounge.cli import main
from lounge.ingest import import_file
from lounge.ingest.greenbutton import read_consumption
from lounge.ingest.problems import ImportRejected
from lounge.ingest.summary import ImportSummary
from tests.conftest import TEST_DATA
from tests.factories import add_customer

GREENBUTTON = TEST_DATA / "greenbutton"
NS = {"atom": "http://www.w3.org/2005/Atom", "espi": "http://naesb.org/espi"}
ISRAEL = ZoneInfo("Asia/Jerusalem")
NINE_DAYS = "TestGBDataHourlyNineDaysBinnedDaily.xml"
SMALL = "electric_containerized.xml"
COASTAL_12HR = "Coastal_Multi_Family_12hr_Jan_1_2011_to_Jan_1_2012_RetailCustomer_3.xml"
COASTAL_DAILY = "Coastal_Multi_Family_Daily_Jan_1_2011_to_Jan_1_2012_RetailCustomer_4.xml"
YEAR_DAILY = "TestGBDataOneYearDailyBinnedMonthly.xml"


def utc(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


#: file, readings, first start, last end
SAMPLES = [
    (COASTAL_12HR, 8760, utc(2011, 1, 1, 8), utc(2012, 1, 1, 8)),
    (COASTAL_DAILY, 8760, utc(2011, 1, 1, 8), utc(2012, 1, 1, 8)),
    (
        "Coastal_Multi_Family_Jan_1_2011_to_Jan_1_2012_RetailCustomer_5.xml",
        8760,
        utc(2011, 1, 1, 8),
        utc(2012, 1, 1, 8),
    ),
    (
        "Desert_Single_Family_Jan_1_2011_to_Jan_1_2012_RetailCustomer_7.xml",
        8760,
        utc(2011, 1, 1, 8),
        utc(2012, 1, 1, 8),
    ),
    (NINE_DAYS, 216, utc(2014, 1, 1, 5), utc(2014, 1, 10, 5)),
    (YEAR_DAILY, 444, utc(2013, 1, 1, 5), utc(2014, 3, 21, 4)),
    (SMALL, 8, utc(2011, 1, 1, 8), utc(2011, 1, 2)),
]


@dataclass(frozen=True)
class Facts:
    """What a sample file holds: (start, duration, Wh) of every IntervalReading."""

    readings: list[tuple[int, int, int]]

    @property
    def wh(self) -> int:
        return sum(wh for _start, _duration, wh in self.readings)

    def wh_by_local_day(self) -> dict[dt.date, int]:
        """Energy per Israeli day, for readings that do not cross midnight."""
        days: dict[dt.date, int] = {}
        for start, _duration, wh in self.readings:
            day = dt.datetime.fromtimestamp(start, ISRAEL).date()
            days[day] = days.get(day, 0) + wh
        return days


@cache
def facts(name: str) -> Facts:
    root = ET.parse(GREENBUTTON / name).getroot()
    (reading_type,) = root.findall("atom:entry/atom:content/espi:ReadingType", NS)
    assert reading_type.findtext("espi:uom", namespaces=NS) == "72"
    scale = 10 ** int(reading_type.findtext("espi:powerOfTenMultiplier", namespaces=NS) or 0)
    return Facts(
        [
            (
                int(reading.findtext("espi:timePeriod/espi:start", namespaces=NS) or ""),
                int(reading.findtext("espi:timePeriod/espi:duration", namespaces=NS) or ""),
                int(reading.findtext("espi:value", namespaces=NS) or "") * scale,
            )
            for reading in root.iter("{http://naesb.org/espi}IntervalReading")
        ]
    )


def text(name: str) -> str:
    return (GREENBUTTON / name).read_text(encoding="utf-8")


def import_text(
    db: Database, content: str, site_id: str = "S1", name: str = "test.xml"
) -> ImportSummary:
    with db.session() as session:
        return import_file(session, "greenbutton", content.encode(), name, "tester", site_id)


def refusal(content: str) -> ImportRejected:
    """Why the file is refused; these checks all come before any database work."""
    with pytest.raises(ImportRejected) as caught:
        read_consumption(content.encode(), "test.xml")
    return caught.value


def readings(content: str) -> list[tuple[int, int, int, bool]]:
    frame = read_consumption(content.encode(), "test.xml")
    columns = ["start_s", "end_s", "wh", "estimated"]
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


def nothing_written(db: Database) -> bool:
    with db.session() as session:
        return all(
            session.scalar(select(func.count()).select_from(table)) == 0
            for table in (Reading, ImportBatch, ConsumptionDaily, AuditLog)
        )


def corrupt_reading(content: str, index: int, pattern: str, new: str) -> tuple[str, int]:
    """``content`` with ``pattern`` replaced by ``new`` in its ``index``-th
    IntervalReading, and the line that IntervalReading starts on."""
    start = -1
    for _ in range(index + 1):
        start = content.index("<IntervalReading>", start + 1)
    end = content.index("</IntervalReading>", start)
    reading, count = re.subn(pattern, new, content[start:end], count=1)
    assert count == 1
    line = content.count("\n", 0, start) + 1
    return content[:start] + reading + content[end:], line


def entry_holding(content: str, marker: str) -> str:
    """The text of the Atom entry in which ``marker`` first occurs."""
    at = content.index(marker)
    start = content.rindex("<entry>", 0, at)
    return content[start : content.index("</entry>", at) + len("</entry>")]


def in_reading_type(content: str, old: str, new: str) -> str:
    start = content.index("<ReadingType")
    end = content.index("</ReadingType>", start)
    assert old in content[start:end]
    return content[:start] + content[start:end].replace(old, new, 1) + content[end:]


@pytest.fixture
def site(db: Database) -> str:
    with db.session() as session:
        add_customer(session, "C1", "S1")
    return "S1"


# --- the sample files ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count", "first", "last"), [s for s in SAMPLES if s[1] < 1000])
def test_reads_the_small_sample_files(name: str, count: int, first: int, last: int):
    frame = read_consumption((GREENBUTTON / name).read_bytes(), name)
    expected = facts(name)
    assert len(frame) == len(expected.readings) == count
    assert int(frame["wh"].sum()) == expected.wh
    assert int(frame["start_s"].min()) == first
    assert int(frame["end_s"].max()) == last
    assert not frame["estimated"].any()  # no sample carries ReadingQuality
    first_line = text(name).splitlines()[int(frame["line"].iloc[0]) - 1]
    assert first_line.strip() == "<IntervalReading>"


@pytest.mark.parametrize(("name", "count", "first", "last"), SAMPLES)
def test_imports_every_sample_file(
    db: Database, site: str, name: str, count: int, first: int, last: int
):
    with db.session() as session:
        summary = import_file(
            session, "greenbutton", (GREENBUTTON / name).read_bytes(), name, "tester", site
        )
    assert (summary.rows, summary.inserted, summary.replaced, summary.unchanged) == (
        count,
        count,
        0,
        0,
    )
    wh = facts(name).wh
    with db.session() as session:
        stored = session.execute(
            select(
                func.count(),
                func.sum(Reading.wh),
                func.min(Reading.start_s),
                func.max(Reading.end_s),
            ).where(Reading.site_id == site)
        ).one()
        assert tuple(stored) == (count, wh, first, last)
        assert session.scalar(select(func.sum(ConsumptionDaily.wh))) == wh
        assert session.scalar(select(func.sum(ConsumptionMonthly.wh))) == wh
        assert session.scalar(select(func.sum(ConsumptionDaily.estimated_wh))) == 0
        audit = session.scalars(select(AuditLog)).one()
        assert (audit.action, audit.details) == (
            "import.greenbutton",
            {"site": site, "rows": count, "inserted": count, "replaced": 0, "unchanged": 0},
        )


def test_daily_rollup_matches_the_file_day_by_day(db: Database, site: str):
    import_text(db, text(NINE_DAYS))
    expected = facts(NINE_DAYS)
    peaks: dict[dt.date, int] = {}
    for start, duration, wh in expected.readings:
        day = dt.datetime.fromtimestamp(start, ISRAEL).date()
        peaks[day] = max(peaks.get(day, 0), wh * 3600 // duration)
    with db.session() as session:
        rows = session.execute(
            select(ConsumptionDaily.day, ConsumptionDaily.wh, ConsumptionDaily.peak_w)
            .where(ConsumptionDaily.site_id == site)
            .order_by(ConsumptionDaily.day)
        ).all()
    assert {day: wh for day, wh, _peak in rows} == expected.wh_by_local_day()
    assert {day: peak for day, _wh, peak in rows} == peaks
    assert len(rows) == 10  # 07:00 on 1 January to 07:00 on 10 January, Israel time


def test_reimport_changes_nothing(db: Database, site: str):
    first = import_text(db, text(NINE_DAYS))
    again = import_text(db, text(NINE_DAYS))
    assert (first.inserted, again.inserted, again.replaced, again.unchanged) == (216, 0, 0, 216)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Reading)) == 216
        assert session.scalar(select(func.sum(Reading.wh))) == facts(NINE_DAYS).wh


def test_the_same_readings_blocked_differently_are_unchanged(db: Database, site: str):
    """The 12-hour and the daily Coastal files hold one year in different IntervalBlocks."""
    import_text(db, text(COASTAL_12HR), name=COASTAL_12HR)
    summary = import_text(db, text(COASTAL_DAILY), name=COASTAL_DAILY)
    assert (summary.inserted, summary.replaced, summary.unchanged) == (0, 0, 8760)


def test_a_corrected_value_replaces_the_stored_reading(db: Database, site: str):
    import_text(db, text(SMALL))
    corrected, _line = corrupt_reading(text(SMALL), 2, "<value>418<", "<value>500<")
    summary = import_text(db, corrected)
    assert (summary.inserted, summary.replaced, summary.unchanged) == (0, 1, 7)
    with db.session() as session:
        assert session.scalar(select(func.sum(ConsumptionDaily.wh))) == facts(SMALL).wh + 82


# --- values, units and quality -------------------------------------------------------


@pytest.mark.parametrize(
    ("multiplier", "wh"),
    [
        (3, [450_000, 430_000, 418_000, 410_000, 595_000, 591_000, 611_000, 581_000]),  # kWh
        (-1, [45, 43, 42, 41, 60, 59, 61, 58]),  # 41.8 -> 42, 59.5 -> 60: half to even
    ],
)
def test_values_are_scaled_by_the_power_of_ten(multiplier: int, wh: list[int]):
    content = in_reading_type(
        text(SMALL),
        "<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        f"<powerOfTenMultiplier>{multiplier}</powerOfTenMultiplier>",
    )
    assert [value for _start, _end, value, _estimated in readings(content)] == wh


def test_reading_quality_sets_the_estimated_flag(db: Database, site: str):
    codes = [0, 8, 14, 9, 17, 12, 7, 19]  # valid, estimated, raw, interpolated, ...
    content = text(SMALL)
    for index, code in enumerate(codes):
        content, _line = corrupt_reading(
            content,
            index,
            "<timePeriod>",
            f"<ReadingQuality><quality>{code}</quality></ReadingQuality><timePeriod>",
        )
    import_text(db, content)
    with db.session() as session:
        flags = session.scalars(select(Reading.estimated).order_by(Reading.start_s)).all()
        estimated_wh = session.scalar(select(func.sum(ConsumptionDaily.estimated_wh)))
    assert flags == [False, True, False, True, False, True, True, False]
    values = [wh for _start, _duration, wh in facts(SMALL).readings]
    assert estimated_wh == sum(wh for wh, flag in zip(values, flags, strict=True) if flag)


def test_default_quality_of_the_reading_type_applies():
    content = in_reading_type(text(SMALL), "<uom>", "<defaultQuality>8</defaultQuality><uom>")
    assert {estimated for _start, _end, _wh, estimated in readings(content)} == {True}


def test_other_usage_points_and_series_are_left_alone():
    """A gas usage point, and an export (reverse flow) series of the same meter
    over the same hours: importing it too would overlap the consumption."""
    content = text(SMALL)
    gas = (
        entry_holding(content, "<UsagePoint")
        .replace("UsagePoint/1", "UsagePoint/2")
        .replace("<kind>0</kind>", "<kind>1</kind>")
    )
    export = "".join(
        entry_holding(content, marker)
        .replace("MeterReading/01", "MeterReading/02")
        .replace("ReadingType/07", "ReadingType/08")
        .replace("<flowDirection>1</flowDirection>", "<flowDirection>19</flowDirection>")
        for marker in ("<MeterReading", "<ReadingType", "<IntervalBlock")
    )
    mixed = content.replace("</feed>", gas + export + "</feed>")
    assert readings(mixed) == readings(content)
    assert len(readings(content)) == 8


# --- refused files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "pattern", "new", "message"),
    [
        (100, "<duration>3600<", "<duration>-3600<", "duration -3600 is not positive"),
        (100, "<duration>3600<", "<duration>0<", "duration 0 is not positive"),
        (100, "<duration>3600<", "<duration>600<", "duration 600 s is shorter than 15 minutes"),
        (100, "(?s)<timePeriod>.*?</timePeriod>", "", "no timePeriod"),
        (100, "<start>[0-9]+<", "<start>4102444800<", "is not a time from 1970 to 2100"),
        (150, "<value>", "<value>" + "9" * 5000, "is not an integer of at most 18 digits"),
        (150, "<value>", "<value>1.5e", "is not an integer"),
        (150, "<value>", "<value>-", "is negative"),
        (150, "<value>[0-9]+</value>", "", "no value"),
        (
            7,
            "<timePeriod>",
            "<ReadingQuality><quality>3</quality></ReadingQuality><timePeriod>",
            "ReadingQuality 3 is not an ESPI quality code",
        ),
    ],
)
def test_a_bad_interval_reading_is_named_by_its_line(
    index: int, pattern: str, new: str, message: str
):
    content, line = corrupt_reading(text(NINE_DAYS), index, pattern, new)
    error = refusal(content)
    assert [e.line for e in error.errors] == [line]
    assert error.errors[0].message.startswith("IntervalReading: ")
    assert message in error.errors[0].message
    assert f"line {line}: IntervalReading" in error.report()


def test_bad_readings_refuse_the_whole_file(db: Database, site: str):
    content, first = corrupt_reading(text(NINE_DAYS), 3, "<value>", "<value>abc")
    content, second = corrupt_reading(content, 200, "<duration>3600<", "<duration>0<")
    with pytest.raises(ImportRejected) as caught:
        import_text(db, content)
    assert [e.line for e in caught.value.errors] == [first, second]
    assert nothing_written(db)


def test_unknown_site_is_refused(db: Database, site: str):
    with pytest.raises(ImportRejected) as caught:
        import_text(db, text(NINE_DAYS), site_id="NOPE")
    assert [str(e) for e in caught.value.errors] == ["unknown site 'NOPE'"]
    assert nothing_written(db)


def test_energy_in_another_unit_is_refused_naming_the_unit():
    content = in_reading_type(text(SMALL), "<uom>72</uom>", "<uom>38</uom>")
    messages = [e.message for e in refusal(content).errors]
    assert messages[0].startswith("nothing to import")
    assert "uom 38 (W) is not Wh (72)" in messages[1]


def test_register_totals_are_not_interval_consumption():
    content = in_reading_type(
        text(SMALL),
        "<accumulationBehaviour>4</accumulationBehaviour>",
        "<accumulationBehaviour>9</accumulationBehaviour>",
    )
    messages = [e.message for e in refusal(content).errors]
    assert "accumulationBehaviour 9 is not deltaData (4)" in messages[1]


def test_several_electricity_usage_points_are_refused():
    content = text(SMALL)
    second = entry_holding(content, "<UsagePoint").replace("UsagePoint/1", "UsagePoint/2")
    error = refusal(content.replace("</feed>", second + "</feed>"))
    assert error.errors[0].message.startswith("the file has 2 electricity usage points")
    assert len(error.errors) == 3  # the count, then each usage point with its line


def test_an_interval_block_no_meter_reading_leads_to_is_refused():
    block = entry_holding(text(SMALL), "<IntervalBlock")
    astray = block.replace('MeterReading/01/IntervalBlock"', 'MeterReading/09/IntervalBlock"')
    error = refusal(text(SMALL).replace(block, astray))
    assert "belongs to no MeterReading" in error.errors[0].message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n<entry>\n',
            "line 4: the file is not well-formed XML: no element found",
        ),
        ("site_id,start,end,kwh\n", "line 1: the file is not well-formed XML"),
        ("<html><body/></html>", "the file is not a Green Button feed"),
        ('<!DOCTYPE f [<!ENTITY a "aaaa">]><f>&a;</f>', "the file declares XML entities"),
        ('<feed xmlns="http://www.w3.org/2005/Atom"/>', "no electricity usage point"),
    ],
)
def test_what_is_not_a_green_button_file_is_refused(content: str, message: str):
    assert message in str(refusal(content).errors[0])


# --- the command line -------------------------------------------------------------------


def test_cli_imports_a_green_button_file_for_a_site(db: Database, site: str):
    path = str(GREENBUTTON / SMALL)
    result = CliRunner().invoke(main, ["import", "greenbutton", path, "--site", site])
    assert result.exit_code == 0, result.output
    assert "8 rows, 8 new, 0 updated, 0 unchanged" in result.output


def test_cli_refuses_an_unknown_site(db: Database, site: str):
    path = str(GREENBUTTON / SMALL)
    result = CliRunner().invoke(main, ["import", "greenbutton", path, "--site", "NOPE"])
    assert result.exit_code == 1
    assert "unknown site 'NOPE'" in result.stderr
    assert nothing_written(db)


def test_cli_site_option_goes_with_green_button_only(db: Database, site: str):
    path = str(GREENBUTTON / SMALL)
    for arguments, message in (
        (["greenbutton", path], "greenbutton needs --site"),
        (["readings", path, "--site", site], "--site is only for greenbutton"),
    ):
        result = CliRunner().invoke(main, ["import", *arguments])
        assert result.exit_code == 2
        assert message in result.output
    assert nothing_written(db)


def test_the_summary_counts_values_finer_than_1_wh_and_what_rounding_changed(
    db: Database, site: str
):
    content = in_reading_type(
        text(SMALL),
        "<powerOfTenMultiplier>0</powerOfTenMultiplier>",
        "<powerOfTenMultiplier>-1</powerOfTenMultiplier>",
    )
    summary = import_text(db, content)
    # 41.8 +0.2, 59.5 +0.5, 59.1 -0.1, 61.1 -0.1, 58.1 -0.1; 45.0, 43.0, 41.0 are exact
    assert (summary.finer_than_wh, summary.rounding_wh) == (5, pytest.approx(0.4))
    assert str(summary).endswith(
        "5 values were finer than 1 Wh; rounding to whole Wh changed the total by +0.400 Wh"
    )


def test_the_sample_files_and_their_licence_notice_live_in_the_repository():
    """A fresh clone with nothing beside it must run these tests (issue 7, point 15)."""
    repository = Path(__file__).resolve().parent.parent
    assert GREENBUTTON.resolve().is_relative_to(repository)
    names = {NINE_DAYS, SMALL, COASTAL_12HR, COASTAL_DAILY, YEAR_DAILY} | {s[0] for s in SAMPLES}
    assert all((GREENBUTTON / name).is_file() for name in names)
    assert "Apache License" in (GREENBUTTON / "README.md").read_text(encoding="utf-8")
