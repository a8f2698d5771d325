"""Import of Green Button (NAESB REQ.21 ESPI) files as the readings of one site.

A Green Button file is an Atom feed. Each ``entry`` holds one ESPI resource
(UsagePoint, MeterReading, ReadingType, IntervalBlock, ...) and says where it
belongs through its links: ``self`` (its own address), ``up`` (the collection
it is in) and ``related`` (what it points at). A related link names either a
collection (the "containerized" layout: the entries whose ``up`` is that
address) or one entry directly (its ``self``); both occur, even in one file,
so both are followed. Nothing is matched by position or by guesswork: an
IntervalBlock or MeterReading that no link reaches refuses the file, because
it could be this site's consumption.

What is imported: the usage point with ServiceCategory kind 0 (electricity),
which must be the only one in the file, since the administrator maps one
usage point to one site. Its MeterReadings whose ReadingType says delivered
energy (flowDirection 1, when given) in Wh (uom 72) as interval values
(accumulationBehaviour 4, deltaData, when given) are its consumption; the
other series of a meter (demand in W, reactive energy, export, register
totals) are different quantities and are left alone. Values are integers
scaled by ``powerOfTenMultiplier``; times are Unix seconds UTC.

Every reading is checked on its own here, with the XML line of its
IntervalReading; :func:`~lounge.ingest.readings.store_readings` then checks
them against each other and the stored readings and writes all or nothing,
exactly as for a CSV file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from xml.parsers import expat

import pandas as pd
from sqlalchemy.orm import Session

from db.models import Site
from lounge import rollups
from lounge.i18n import _
from lounge.ingest.problems import ImportRejected, RowError
from lounge.ingest.readings import MAX_KWH, MIN_INTERVAL_S, store_readings
from lounge.ingest.summary import ImportSummary

KIND = "greenbutton"
ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"

ELECTRICITY = "0"  # ServiceCategory kind
FORWARD = 1  # ReadingType flowDirection: delivered to the customer
WATT_HOURS = 72  # ReadingType uom
DELTA_DATA = 4  # ReadingType accumulationBehaviour: the energy of each interval
MAX_WH = MAX_KWH * 1000
#: Interval starts are accepted from 1970 to 2100 (Unix seconds): anything
#: else is a damaged field, and a far-off year would have the rollups build
#: centuries of empty days.
LATEST_START_S = 4_102_444_800

#: ESPI QualityOfReading codes of measured values: valid (0), raw (14),
#: validated (17), verified (18), revenue-quality (19).
ACTUAL_QUALITIES = frozenset({0, 14, 17, 18, 19})
#: Codes of values that are not known to be a measurement of their interval:
#: manually edited (7), estimated from a reference day (8) or by interpolation
#: (9), questionable (10), derived (11), projected (12), mixed (13), normalized
#: for weather (15), other (16). Our flag has two states, so doubt counts as
#: estimated.
ESTIMATED_QUALITIES = frozenset({7, 8, 9, 10, 11, 12, 13, 15, 16})
KNOWN_QUALITIES = ACTUAL_QUALITIES | ESTIMATED_QUALITIES

#: Unit symbols a person may recognise in an error message.
UOM_SYMBOLS = {38: "W", 61: "VA", 63: "VAr", 71: "VAh", 72: "Wh", 73: "VArh", 169: "therm"}

#: ESPI numbers are integers of at most 64 bits, so at most 18 digits here.
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def import_greenbutton(
    session: Session, data: bytes, filename: str, actor: str, site_id: str
) -> ImportSummary:
    """Import the electricity consumption of a Green Button file as readings of ``site_id``.

    The file names no site of ours (its usage point is the utility's), so the
    administrator says which site it is for; the site must exist.
    """
    if session.get(Site, site_id) is None:
        raise ImportRejected(
            filename, [RowError(0, _("unknown site '{site}'").format(site=site_id))]
        )
    frame = read_consumption(data, filename)
    frame.insert(1, "site_id", site_id)
    return store_readings(session, frame, filename, actor, KIND)


def read_consumption(data: bytes, filename: str) -> pd.DataFrame:
    """The checked interval readings of the file's electricity usage point.

    Columns line, start_s, end_s, wh, estimated, rounding_wh; raises :class:`ImportRejected`
    naming every problem found.
    """
    feed = _Feed.parse(data, filename)
    errors = feed.unlinked()
    usage_point = _electricity_usage_point(feed, filename)
    series = _consumption_series(feed, usage_point, errors)
    if errors:
        raise ImportRejected(filename, errors)
    rows: list[tuple[int, int, int, int, bool, float]] = []
    for one in series:
        for reading in one.readings(feed):
            row = one.reading(reading, feed.lines[reading], errors)
            if row is not None:
                rows.append(row)
    if not rows and not errors:
        message = _("nothing to import: the electricity consumption has no IntervalReading")
        errors.append(RowError(0, message))
    if errors:
        raise ImportRejected(filename, errors)
    columns = list(zip(*rows, strict=True))
    return pd.DataFrame(
        {
            "line": pd.Series(columns[0], dtype="int64"),
            "start_s": pd.Series(columns[1], dtype="int64"),
            "end_s": pd.Series(columns[2], dtype="int64"),
            "wh": pd.Series(columns[3], dtype="int64"),
            "estimated": pd.Series(columns[4], dtype="bool"),
            "rounding_wh": pd.Series(columns[5], dtype="float64"),
        }
    )


# --- the feed and its links ---------------------------------------------------------


@dataclass(eq=False)
class _Entry:
    """One Atom entry: its links and the ESPI resources in its content."""

    line: int
    title: str
    self_link: str
    up_link: str
    related: list[str]
    resources: list[ET.Element]

    def holds(self, resource: str) -> bool:
        return any(element.tag == ESPI + resource for element in self.resources)

    def resource(self, resource: str) -> ET.Element | None:
        return next((e for e in self.resources if e.tag == ESPI + resource), None)

    def name(self) -> str:
        """How a person finds the entry in the file: its title, else its address."""
        return f"'{self.title}'" if self.title else self.self_link


class _Feed:
    """The entries of a feed, found by the addresses their links name."""

    def __init__(self, entries: list[_Entry], lines: dict[ET.Element, int]) -> None:
        self.entries = entries
        self.lines = lines
        self._by_address: defaultdict[str, list[_Entry]] = defaultdict(list)
        for entry in entries:
            for address in {entry.self_link, entry.up_link} - {""}:
                self._by_address[address].append(entry)

    @classmethod
    def parse(cls, data: bytes, filename: str) -> _Feed:
        root, lines = _parse_xml(data, filename)
        if root.tag != ATOM + "feed":
            message = _(
                "the file is not a Green Button feed: its root element is {tag}, "
                "expected an Atom feed"
            ).format(tag=root.tag)
            raise ImportRejected(filename, [RowError(lines[root], message)])
        return cls([_entry(element, lines) for element in root.iter(ATOM + "entry")], lines)

    def linked(self, entry: _Entry, resource: str) -> list[_Entry]:
        """Entries holding ``resource`` that ``entry``'s related links lead to,
        directly (their self link) or through a collection (their up link), each once."""
        found: dict[_Entry, None] = {}
        for link in entry.related:
            for other in self._by_address.get(link, []):
                if other.holds(resource):
                    found[other] = None
        return list(found)

    def with_resource(self, resource: str) -> list[_Entry]:
        return [entry for entry in self.entries if entry.holds(resource)]

    def unlinked(self) -> list[RowError]:
        """MeterReadings no UsagePoint leads to, IntervalBlocks no MeterReading leads to.

        Their readings might be this site's consumption; leaving them out quietly
        would import a part of the file as if it were all of it.
        """
        errors: list[RowError] = []
        for child, parent in (("MeterReading", "UsagePoint"), ("IntervalBlock", "MeterReading")):
            reached = {c for p in self.with_resource(parent) for c in self.linked(p, child)}
            errors.extend(
                RowError(
                    entry.line,
                    _(
                        "{child} {name} belongs to no {parent}: no 'related' link "
                        "of a {parent} leads to it"
                    ).format(child=child, name=entry.name(), parent=parent),
                )
                for entry in self.with_resource(child)
                if entry not in reached
            )
        return errors


def _entry(element: ET.Element, lines: dict[ET.Element, int]) -> _Entry:
    links: defaultdict[str, list[str]] = defaultdict(list)
    for link in element.findall(ATOM + "link"):
        address = link.get("href", "").strip()
        if address:
            links[link.get("rel", "alternate")].append(address)
    resources = [
        resource
        for content in element.findall(ATOM + "content")
        for resource in content
        if resource.tag.startswith(ESPI)
    ]
    return _Entry(
        line=lines[resources[0]] if resources else lines[element],
        title=(element.findtext(ATOM + "title") or "").strip(),
        self_link=(links["self"] or [""])[0],
        up_link=(links["up"] or [""])[0],
        related=links["related"],
        resources=resources,
    )


def _parse_xml(data: bytes, filename: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The element tree and the source line of every element.

    Expat drives an ElementTree builder here because ElementTree itself keeps
    no line numbers, and every message should point at the line to fix. Entity
    declarations are refused: Green Button files have none, and entities are
    how XML bombs are built.
    """
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def start(name: str, attributes: dict[str, str]) -> None:
        element = builder.start(_qualified(name), {_qualified(k): v for k, v in attributes.items()})
        lines[element] = parser.CurrentLineNumber

    def end(name: str) -> None:
        builder.end(_qualified(name))

    def refuse_entity(*_declaration: object) -> None:
        raise ImportRejected(
            filename,
            [RowError(parser.CurrentLineNumber, _("the file declares XML entities; refused"))],
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse_entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        message = _("the file is not well-formed XML: {reason}").format(
            reason=expat.ErrorString(exc.code)
        )
        raise ImportRejected(filename, [RowError(exc.lineno, message)]) from exc
    return builder.close(), lines


def _qualified(name: str) -> str:
    """Expat's ``namespace local`` as ElementTree's ``{namespace}local``."""
    namespace, _space, local = name.rpartition(" ")
    return f"{{{namespace}}}{local}" if namespace else local


# --- what to import -----------------------------------------------------------------


def _electricity_usage_point(feed: _Feed, filename: str) -> _Entry:
    """The file's only electricity usage point.

    With several, the readings of different meters would land on one site;
    which one the site is cannot be read from the file, so the file is refused.
    """
    usage_points = feed.with_resource("UsagePoint")
    electricity = [up for up in usage_points if _service_kind(up) == ELECTRICITY]
    if len(electricity) == 1:
        return electricity[0]
    if not electricity:
        kinds = ", ".join(_service_kind(up) or "?" for up in usage_points) or "-"
        message = _(
            "the file has no electricity usage point (UsagePoint with ServiceCategory kind 0); "
            "service kinds found: {kinds}"
        ).format(kinds=kinds)
        raise ImportRejected(filename, [RowError(0, message)])
    count = _(
        "the file has {count} electricity usage points; a site takes the readings of one, "
        "so import a file with only that usage point"
    ).format(count=len(electricity))
    raise ImportRejected(
        filename,
        [RowError(0, count)]
        + [
            RowError(up.line, _("electricity usage point {name}").format(name=up.name()))
            for up in electricity
        ],
    )


def _service_kind(usage_point: _Entry) -> str:
    element = usage_point.resource("UsagePoint")
    assert element is not None
    return (element.findtext(f"{ESPI}ServiceCategory/{ESPI}kind") or "").strip()


@dataclass(frozen=True)
class _ReadingType:
    """What a MeterReading's values are: the ReadingType fields this import reads."""

    flow_direction: int | None
    uom: int
    accumulation: int | None
    power_of_ten: int
    default_quality: int | None

    @classmethod
    def read(cls, element: ET.Element, found: list[str]) -> _ReadingType | None:
        """The fields of a ReadingType element, or None with its problems in ``found``.

        ``uom`` is required: without it nobody can tell what the values are.
        An absent multiplier is 10^0, an absent defaultQuality says nothing.
        """
        flow_direction = _integer(element, "flowDirection", found, required=False)
        uom = _integer(element, "uom", found)
        accumulation = _integer(element, "accumulationBehaviour", found, required=False)
        power_of_ten = _integer(element, "powerOfTenMultiplier", found, required=False) or 0
        default_quality = _integer(element, "defaultQuality", found, required=False)
        if not -12 <= power_of_ten <= 12:
            found.append(
                _("powerOfTenMultiplier {value} is out of range").format(value=power_of_ten)
            )
        if default_quality is not None and default_quality not in KNOWN_QUALITIES:
            found.append(_quality_error("defaultQuality", default_quality))
        if found or uom is None:
            return None
        return cls(flow_direction, uom, accumulation, power_of_ten, default_quality)

    def not_consumption(self) -> list[str]:
        """Why values of this type are not electricity consumption (empty if they are)."""
        reasons = []
        if self.flow_direction is not None and self.flow_direction != FORWARD:
            reasons.append(
                _("flowDirection {code} is not forward (1)").format(code=self.flow_direction)
            )
        if self.uom != WATT_HOURS:
            symbol = UOM_SYMBOLS.get(self.uom)
            unit = f"{self.uom} ({symbol})" if symbol else str(self.uom)
            reasons.append(_("uom {unit} is not Wh (72)").format(unit=unit))
        if self.accumulation is not None and self.accumulation != DELTA_DATA:
            reasons.append(
                _(
                    "accumulationBehaviour {code} is not deltaData (4): the values are not "
                    "the energy of each interval"
                ).format(code=self.accumulation)
            )
        return reasons

    def wh(self, value: int) -> int:
        """``value`` scaled to whole Wh (half to even, as the CSV import rounds)."""
        if self.power_of_ten >= 0:
            return value * 10**self.power_of_ten
        return round(Fraction(value, 10**-self.power_of_ten))

    def rounding(self, value: int) -> float:
        """What :meth:`wh` added to ``value`` (in Wh) by rounding it to whole Wh."""
        if self.power_of_ten >= 0:
            return 0.0
        return float(self.wh(value) - Fraction(value, 10**-self.power_of_ten))


@dataclass(frozen=True)
class _Series:
    """A MeterReading of consumption and the ReadingType of its values."""

    meter_reading: _Entry
    reading_type: _ReadingType

    def readings(self, feed: _Feed) -> list[ET.Element]:
        return [
            reading
            for entry in feed.linked(self.meter_reading, "IntervalBlock")
            for block in entry.resources
            if block.tag == ESPI + "IntervalBlock"
            for reading in block.findall(ESPI + "IntervalReading")
        ]

    def reading(
        self, element: ET.Element, line: int, errors: list[RowError]
    ) -> tuple[int, int, int, int, bool, float] | None:
        """(line, start_s, end_s, wh, estimated, rounding_wh) of one IntervalReading,
        or None after adding to ``errors`` everything that is wrong with it."""
        found: list[str] = []
        period = element.find(ESPI + "timePeriod")
        start = duration = None
        if period is None:
            found.append(_("no timePeriod"))
        else:
            start = _integer(period, "start", found)
            duration = _integer(period, "duration", found)
        if start is not None and not 0 <= start < LATEST_START_S:
            found.append(_("start {value} is not a time from 1970 to 2100").format(value=start))
        if duration is not None:
            if duration <= 0:
                found.append(_("duration {value} is not positive").format(value=duration))
            elif duration < MIN_INTERVAL_S:
                found.append(
                    _("duration {value} s is shorter than 15 minutes").format(value=duration)
                )
            elif duration > rollups.READING_MAX_S:
                found.append(
                    _("duration {value} s is longer than two months").format(value=duration)
                )
        value = _integer(element, "value", found)
        wh = None if value is None else self.reading_type.wh(value)
        if value is not None and value < 0:
            found.append(_("value {value} is negative").format(value=value))
        elif wh is not None and wh > MAX_WH:
            found.append(
                _("value {value} is {wh} Wh, more than {limit} kWh in one reading").format(
                    value=value, wh=wh, limit=f"{MAX_KWH:,}"
                )
            )
        estimated = self._estimated(element, found)
        if found or start is None or duration is None or wh is None:
            message = _("IntervalReading: {problems}").format(problems="; ".join(found))
            errors.append(RowError(line, message))
            return None
        assert value is not None  # wh is None otherwise
        return line, start, start + duration, wh, estimated, self.reading_type.rounding(value)

    def _estimated(self, element: ET.Element, found: list[str]) -> bool:
        """Whether the quality codes of a reading (its own ReadingQuality, else
        the ReadingType's defaultQuality) say it is not a measured value.

        A reading without either is actual: ESPI states quality only where it
        differs from good.
        """
        qualities = element.findall(ESPI + "ReadingQuality")
        codes = [_integer(quality, "quality", found) for quality in qualities]
        if not qualities and self.reading_type.default_quality is not None:
            codes = [self.reading_type.default_quality]
        for code in codes:
            if code is not None and code not in KNOWN_QUALITIES:
                found.append(_quality_error("ReadingQuality", code))
        return any(code in ESTIMATED_QUALITIES for code in codes)


def _quality_error(name: str, code: int) -> str:
    return _("{name} {code} is not an ESPI quality code").format(name=name, code=code)


def _consumption_series(feed: _Feed, usage_point: _Entry, errors: list[RowError]) -> list[_Series]:
    """The MeterReadings of ``usage_point`` that hold its electricity consumption.

    Several may qualify (a meter exchanged mid-period, time-of-use registers);
    all are imported, and readings of two series over the same time are
    refused by the overlap check like any overlapping readings. When none
    qualifies, the error says for each MeterReading why not.
    """
    meter_readings = feed.linked(usage_point, "MeterReading")
    if not meter_readings:
        message = _("the electricity usage point {name} leads to no MeterReading").format(
            name=usage_point.name()
        )
        errors.append(RowError(usage_point.line, message))
        return []
    series: list[_Series] = []
    skipped: list[RowError] = []
    for meter_reading in meter_readings:
        reading_types = feed.linked(meter_reading, "ReadingType")
        if len(reading_types) != 1:
            message = _("MeterReading {name} leads to {count} ReadingTypes; it needs one").format(
                name=meter_reading.name(), count=len(reading_types)
            )
            errors.append(RowError(meter_reading.line, message))
            continue
        entry = reading_types[0]
        element = entry.resource("ReadingType")
        assert element is not None  # linked() returned it for holding one
        found: list[str] = []
        reading_type = _ReadingType.read(element, found)
        if reading_type is None:
            message = _("ReadingType: {problems}").format(problems="; ".join(found))
            errors.append(RowError(entry.line, message))
            continue
        reasons = reading_type.not_consumption()
        if reasons:
            message = _("MeterReading {name} is not electricity consumption: {reasons}").format(
                name=meter_reading.name(), reasons="; ".join(reasons)
            )
            skipped.append(RowError(entry.line, message))
            continue
        series.append(_Series(meter_reading, reading_type))
    if not series and not errors:
        message = _(
            "nothing to import: no MeterReading holds delivered electricity in Wh (uom 72) "
            "per interval"
        )
        errors.extend([RowError(0, message), *skipped])
    return series


def _integer(parent: ET.Element, name: str, found: list[str], required: bool = True) -> int | None:
    """The integer in ``parent``'s ESPI child ``name``; None (with a problem
    added to ``found``) when it is missing or not an integer. ESPI numbers
    are integers; a fraction or a unit in the text is an error, not a guess."""
    text = parent.findtext(ESPI + name)
    if text is None or not text.strip():
        if required:
            found.append(_("no {name}").format(name=name))
        return None
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "…"
        found.append(
            _("{name} '{value}' is not an integer of at most 18 digits").format(
                name=name, value=shown
            )
        )
        return None
    return int(text)
