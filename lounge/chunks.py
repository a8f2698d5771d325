"""Long lists cut into pieces a single statement can bind.

A list that grows with an imported file (its ids, tax ids, reading keys) must
not become one statement: SQLite binds at most 32,766 variables, PostgreSQL
65,535 parameters, and a 260,000-row customers file failed with "too many SQL
variables". Every ``IN`` list and driver ``executemany`` batch whose length
depends on the data goes through :func:`chunked` or :func:`rows_in`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Connection, Row, Select
from sqlalchemy.orm import InstrumentedAttribute, Session

T = TypeVar("T")
Columns = TypeVarTuple("Columns")

#: Values per statement: far below both databases' limits, even for three-column keys.
SIZE = 5000


def chunked(items: Iterable[T], size: int = SIZE) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, in order (none for no items)."""
    values: Sequence[T] = items if isinstance(items, Sequence) else list(items)
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def rows_in(
    executor: Session | Connection,
    statement: Select[*Columns],
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    values: Iterable[Any],
) -> list[Row[*Columns]]:
    """The rows of ``statement`` where ``column`` is one of ``values``, a chunk at a time."""
    return [
        row
        for chunk in chunked(values)
        for row in executor.execute(statement.where(column.in_(chunk))).all()
    ]
