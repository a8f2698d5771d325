"""Fast bulk writes of readings, inside the caller's transaction.

A million rows through the ORM would take minutes; through the driver's own
bulk path they take seconds: ``COPY`` on PostgreSQL, ``executemany`` on
SQLite. Both run on the session's connection, so they commit or roll back
with everything else in the import.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, delete, insert, tuple_

from db.models import Reading
from lounge import chunks

_COLUMNS = ("site_id", "start_s", "end_s", "wh", "estimated", "batch_id")


def _records(frame: pd.DataFrame, batch_id: int | None) -> list[tuple[object, ...]]:
    return list(
        zip(
            frame["site_id"].tolist(),
            frame["start_s"].tolist(),
            frame["end_s"].tolist(),
            frame["wh"].tolist(),
            frame["estimated"].tolist(),
            [batch_id] * len(frame),
            strict=True,
        )
    )


def insert_readings(connection: Connection, frame: pd.DataFrame, batch_id: int | None) -> None:
    """Insert readings (columns site_id, start_s, end_s, wh, estimated)."""
    if frame.empty:
        return
    frame = frame.sort_values(["site_id", "start_s", "end_s"])
    records = _records(frame, batch_id)
    dialect = connection.dialect.name
    if dialect == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY reading ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
    elif dialect == "sqlite":
        placeholders = ", ".join("?" * len(_COLUMNS))
        connection.exec_driver_sql(
            f"INSERT INTO reading ({', '.join(_COLUMNS)}) VALUES ({placeholders})", records
        )
    else:
        connection.execute(insert(Reading), [dict(zip(_COLUMNS, r, strict=True)) for r in records])


def delete_readings(connection: Connection, keys: pd.DataFrame) -> None:
    """Delete the readings whose (site_id, start_s, end_s) are rows of ``keys``."""
    triples = list(
        zip(keys["site_id"].tolist(), keys["start_s"].tolist(), keys["end_s"].tolist(), strict=True)
    )
    key = tuple_(Reading.site_id, Reading.start_s, Reading.end_s)
    for chunk in chunks.chunked(triples):
        connection.execute(delete(Reading).where(key.in_(chunk)))
