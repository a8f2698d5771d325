"""Shared fixtures: a real database on SQLite and on PostgreSQL.

``db`` is parametrised over both backends: every database test runs twice.
The schema is migrated once per backend and session (through Alembic, as in
production); each test starts from empty tables. PostgreSQL tests are skipped
with a message when no server answers, and fail instead when
``LOUNGE_REQUIRE_POSTGRES=1`` (CI sets it).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db import migrate
from db.models import Base
from db.session import Database

POSTGRES_URL = os.environ.get(
    "LOUNGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("LOUNGE_REQUIRE_POSTGRES") == "1"
# A fixed key: otherwise every xdist worker would race to create instance/secret_key
# in the checkout (and a test run would leave a key behind in it).
os.environ["LOUNGE_SECRET_KEY"] = "tests-only-not-a-secret"
# Request attachments of the tests go to a folder of their own, not the checkout's instance/.
os.environ.setdefault("LOUNGE_ATTACHMENTS_DIR", tempfile.mkdtemp(prefix="lounge-attachments-"))
#: Test data kept in the repository (a fresh clone has nothing beside it); see its READMEs.
TEST_DATA = Path(__file__).resolve().parent / "data"


def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"lounge_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (LOUNGE_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message)
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt with a small work factor: the same code path, a hundred times faster."""
    from werkzeug.security import generate_password_hash

    from lounge import users

    monkeypatch.setattr(
        users, "hash_password", lambda password: generate_password_hash(password, "scrypt:1024:8:1")
    )


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "sqlite":
        yield _migrated(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'lounge.db'}")
        return
    generator = _postgres_database()
    yield _migrated(next(generator))
    generator.close()


def _migrated(url: str) -> str:
    database = Database(url)
    migrate.upgrade(database.engine)
    database.dispose()
    return url


def _empty_tables(database: Database) -> None:
    """DELETE, children first: on tables this small it is far cheaper than TRUNCATE."""
    with database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """An empty, migrated database; the CLI and the app see it too (LOUNGE_DATABASE_URL)."""
    monkeypatch.setenv("LOUNGE_DATABASE_URL", database_url)
    database = Database(database_url)
    _empty_tables(database)
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database):
    """A session in a transaction committed at the end of the test (if it passed)."""
    with db.session() as session:
        yield session


@pytest.fixture
def world(db: Database):
    """The small world of tests/web_fixtures.py, seeded into ``db``."""
    from tests.web_fixtures import seed

    return seed(db)


@pytest.fixture
def app(db: Database, world):
    """The whole web application on the test database (sign-in rate limit relaxed)."""
    from app import create_app

    return create_app({"database_url": db.url, "login_rate_limit": "1000 per minute"})


@pytest.fixture
def client(app):
    return app.server.test_client()


REDIS_URL = os.environ.get("LOUNGE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def broker() -> str:
    """A Redis database of its own (other test runs may share the server)."""
    url = f"{REDIS_URL.rstrip('/')}/{random.randint(1, 15)}"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {url}: {exc}"
        if os.environ.get("LOUNGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


# --- the demo data, generated once per backend and test session -----------------------

#: What the demo tests generate: the demo's 40 customers as of a fixed day.
DEMO_CUSTOMERS, DEMO_SEED, DEMO_TODAY = 40, 11, dt.date(2026, 5, 14)


@dataclass
class Demo:
    """The demo data in a database of its own, and the logins the generator printed.

    Generating takes tens of seconds, so every demo test shares it: read it
    through :meth:`read`, whose session is rolled back (a sign-in writes).
    """

    database: Database
    logins: list[tuple[str, str]]

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.database.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()


@dataclass
class DemoDatabases:
    """The demo data on each backend, generated when a test first asks for it."""

    tmp_path_factory: pytest.TempPathFactory
    found: dict[str, Demo] = field(default_factory=dict)
    servers: list[Iterator[str]] = field(default_factory=list)

    def get(self, backend: str) -> Demo:
        from db import demo

        if backend not in self.found:
            if backend == "sqlite":
                url = f"sqlite:///{self.tmp_path_factory.mktemp('demo') / 'demo.db'}"
            else:
                self.servers.append(_postgres_database())
                url = next(self.servers[-1])
            database = Database(_migrated(url))
            logins = demo.generate(
                database, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, today=DEMO_TODAY
            )
            self.found[backend] = Demo(database, logins)
        return self.found[backend]

    def close(self) -> None:
        for found in self.found.values():
            found.database.dispose()
        for server in self.servers:
            server.close()


@pytest.fixture(scope="session")
def demo_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDatabases]:
    databases = DemoDatabases(tmp_path_factory)
    yield databases
    databases.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def demo_data(request: pytest.FixtureRequest, demo_databases: DemoDatabases) -> Demo:
    """The demo data on each backend (read only: see :class:`Demo`)."""
    return demo_databases.get(request.param)
