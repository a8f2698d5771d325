"""Reading a CSV file into columns while keeping each row's line number.

The ``csv`` module (not pandas) does the reading because it knows the true
line of every record, even with quoted line breaks, and every error message
names a line. Columns are then handed to vectorised validators.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lounge.i18n import _
from lounge.ingest.problems import ImportRejected, RowError


@dataclass
class CsvTable:
    columns: dict[str, list[str]]
    lines: list[int]

    def __len__(self) -> int:
        return len(self.lines)

    def column(self, name: str) -> list[str]:
        """Values of a column, empty strings where an optional column is absent."""
        return self.columns.get(name) or [""] * len(self.lines)


def read_csv_table(
    data: bytes, filename: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> CsvTable:
    """Parse ``data``; raise :class:`ImportRejected` naming every structural problem."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(filename, _encoding_errors(data)) from exc
    controls = _CONTROL.search(text) is not None
    fast = None if controls else _fast_table(text)
    if fast is not None:
        names = list(fast.columns)
        errors = _header_errors(names, required, optional)
        if errors:
            raise ImportRejected(filename, errors)
        return fast
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise ImportRejected(filename, [RowError(1, _("the file is empty; expected a header row"))])
    names = [cell.strip().lower() for cell in header]
    errors = _header_errors(names, required, optional)
    if errors:
        raise ImportRejected(filename, errors)

    rows: list[list[str]] = []
    lines: list[int] = []
    # a row may leave out optional columns at its end (some tools drop empty trailing fields)
    shortest = len(names)
    while shortest > 0 and names[shortest - 1] in optional:
        shortest -= 1
    line = reader.line_num
    for row in reader:
        first_line, line = line + 1, reader.line_num
        if len(row) != len(names):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines carry nothing
            if shortest <= len(row) < len(names):
                row = row + [""] * (len(names) - len(row))
                rows.append(row)
                lines.append(first_line)
                continue
            errors.append(
                RowError(
                    first_line,
                    _("expected {expected} fields, found {found}").format(
                        expected=len(names), found=len(row)
                    ),
                )
            )
            continue
        rows.append(row)
        lines.append(first_line)
    if errors:
        raise ImportRejected(filename, errors)
    if rows:
        columns = [list(map(str.strip, column)) for column in zip(*rows, strict=True)]
    else:
        columns = [[] for _name in names]
    table = CsvTable(dict(zip(names, columns, strict=True)), lines)
    if controls and (errors := _control_errors(table)):
        raise ImportRejected(filename, errors)
    return table


#: Control characters (C0 but tab and line breaks, DEL, C1): invisible, they break
#: screens, exports and PDFs, and a NUL cuts a string short in C code.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _control_errors(table: CsvTable) -> list[RowError]:
    """Every cell holding a control character, by line and column."""
    errors = [
        RowError(
            table.lines[row],
            _("column {column} holds the control character U+{code:04X}").format(
                column=name, code=ord(found.group())
            ),
        )
        for name, values in table.columns.items()
        for row, value in enumerate(values)
        if (found := _CONTROL.search(value))
    ]
    return sorted(errors, key=lambda error: error.line)


_BLANK_LINE = re.compile(r"(?:^|\n)[ \t\r]*\n")


def _encoding_errors(data: bytes) -> list[RowError]:
    """Every line holding bytes that are not UTF-8, with the first bad byte of each."""
    errors = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(
                RowError(
                    number,
                    _(
                        "the text is not UTF-8 (byte {offset} of the line); save the file as UTF-8"
                    ).format(offset=exc.start + 1),
                )
            )
    return errors


def _same_width(text: str, commas: int) -> bool:
    """True when every line of ``text`` holds exactly ``commas`` commas."""
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    if not len(ends) or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))
    commas_before_end = np.searchsorted(np.flatnonzero(raw == ord(",")), ends)
    per_line = np.diff(commas_before_end, prepend=0)
    return bool((per_line == commas).all())


def _fast_table(text: str) -> CsvTable | None:
    """Parse a plain file (no quotes, no blank lines, every row as wide as the
    header) with pandas' C reader; None when the file needs the exact path."""
    if '"' in text or _BLANK_LINE.search(text):
        return None
    header = text.split("\n", 1)[0]
    if not header.strip():
        return None
    names = [name.strip().lower() for name in header.split(",")]
    if len(set(names)) != len(names):
        return None  # repeated names: let the exact path report them
    # pandas pads short rows and turns one extra field into an index column,
    # silently shifting the data: every line must be exactly as wide as the header
    if not _same_width(text, header.count(",")):
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, na_filter=False, engine="c")
    except (ValueError, pd.errors.ParserError):
        return None
    columns = {
        str(name).strip().lower(): [value.strip() for value in frame[name].tolist()]
        for name in frame.columns
    }
    if len(columns) != len(names):
        return None
    return CsvTable(columns, list(range(2, len(frame) + 2)))


def _header_errors(
    names: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> list[RowError]:
    errors = []
    missing = [name for name in required if name not in names]
    if missing:
        errors.append(
            RowError(1, _("missing column(s): {columns}").format(columns=", ".join(missing)))
        )
    unknown = [name for name in names if name not in required + optional]
    if unknown:
        errors.append(
            RowError(
                1,
                _("unknown column(s): {columns}; expected {expected}").format(
                    columns=", ".join(unknown), expected=", ".join(required + optional)
                ),
            )
        )
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        errors.append(
            RowError(1, _("repeated column(s): {columns}").format(columns=", ".join(duplicated)))
        )
    return errors
