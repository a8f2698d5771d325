"""Engines and sessions.

The caller owns a session's life (one per web request, one per CLI command);
domain functions take a session and never create one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from lounge import settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # created before SQLite opens it, owner-only (SQLite gives its -wal and
            # -shm files the same mode)
            settings.create_private_file(Path(parsed.database))
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def refresh_statistics(session: Session, *tables: str) -> None:
    """After a bulk write, have PostgreSQL's planner see the new rows (``ANALYZE``; every table
    when none is named). A no-op on SQLite.

    Why: until a table is analysed PostgreSQL plans as if it were nearly empty, and the invoice
    queries with their per-invoice sums then took 6 s for an account manager's portfolio instead
    of 70 ms (10,000 invoices). Autovacuum analyses a table some time after a large change, and
    only where it is switched on; a freshly loaded demo or import must not wait for it. It runs
    in the writer's transaction (ANALYZE may, VACUUM may not), so the statistics commit with the
    rows; about a second for the whole demo database.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.flush()
    session.execute(text("ANALYZE " + ", ".join(tables) if tables else "ANALYZE"))


class Database:
    """An engine and its session factory: one per process and database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed if the block succeeds, rolled back otherwise."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
