"""``python -m lounge ...`` end to end: the commands an administrator types.

Most tests drive the command line in-process through click's runner (same
code, same database through LOUNGE_DATABASE_URL); a few run the real
``python -m lounge`` to check exit codes and streams as a shell sees them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from db.models import ClassificationRun, User
from db.session import Database
from lounge import localtime
from tests.factories import READINGS_HEADER, cli, csv_bytes, month_reads, row_counts

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_MISSING = "the database schema is missing or out of date; run: python -m lounge init-db"


def python_m_lounge(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The real entry point, in a child process that inherits LOUNGE_DATABASE_URL."""
    return subprocess.run(
        [sys.executable, "-m", "lounge", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, header: str, *rows: str) -> str:
    path.write_bytes(csv_bytes(header, *rows))
    return str(path)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        "customers": write(
            tmp_path / "customers.csv",
            "customer_id,name,tax_id,segment,language",
            "C1,Acme,T1,industry,en",
            "C2,Globex,T2,,",
        ),
        "sites": write(
            tmp_path / "sites.csv",
            "site_id,customer_id,name,region,address,supplier,meter_number",
            "S1,C1,Plant,North,,IEC,M1",
            "S2,C2,Office,Center,,Dalia,M2",
        ),
        "readings": write(
            tmp_path / "readings.csv",
            READINGS_HEADER + ",quality",
            *(row + ",actual" for row in month_reads("S1", 2025, {3: "600000", 9: "400000"})),
            "S2,2025-05-01T00:00:00+03:00,2025-05-01T00:15:00+03:00,0.25,estimated",
        ),
    }


# --- the whole round ----------------------------------------------------------------


def test_import_classify_and_list_through_the_command_line(db: Database, files):
    assert cli("import", "customers", files["customers"]).stdout == (
        "customers.csv: 2 rows, 2 new, 0 updated, 0 unchanged\n"
    )
    assert cli("import", "sites", files["sites"]).stdout == (
        "sites.csv: 2 rows, 2 new, 0 updated, 0 unchanged\n"
    )
    assert cli("import", "readings", files["readings"]).stdout == (
        "readings.csv: 3 rows, 3 new, 0 updated, 0 unchanged\n"
    )
    again = cli("import", "readings", files["readings"])
    assert (again.exit_code, again.stdout) == (
        0,
        "readings.csv: 3 rows, 0 new, 0 updated, 3 unchanged\n",
    )

    run = cli("classify", "--as-of", "2026-01-15")
    assert (run.exit_code, run.stdout) == (
        0,
        "classified 2 customers as of 2026-01-15 (window 2025-01-01 to 2025-12-31): "
        "1 members, 1 entered, 0 left\n",
    )
    assert cli("classify", "--as-of", "2026-01-15").stdout.endswith(
        "1 members, 0 entered, 0 left\n"
    )

    listing = cli("vip", "list", "--format", "csv")
    assert (listing.exit_code, listing.stdout) == (
        0,
        "customer_id,name,is_vip,rule,window_kwh,max_site_kwh,since\n"
        "C1,Acme,true,site,1000000,1000000,2026-01-15\n"
        "C2,Globex,false,,0.25,0.25,\n",
    )
    history = cli("vip", "history", "--format", "csv")
    assert (history.exit_code, history.stdout) == (
        0,
        "customer_id,event,effective_date,rule,window_kwh\nC1,enter,2026-01-15,site,1000000\n",
    )
    assert cli("vip", "history", "--customer", "C2", "--format", "csv").stdout == (
        "customer_id,event,effective_date,rule,window_kwh\n"
    )

    table = cli("vip", "list").stdout.splitlines()
    assert table[0].split() == ["customer_id", "name", "is_vip", "rule", "window_kwh",
                                "max_site_kwh", "since"]  # fmt: skip
    assert table[1].split() == ["C1", "Acme", "true", "site", "1000000", "1000000", "2026-01-15"]


def test_classify_defaults_to_today(db: Database):
    result = cli("classify")
    assert result.exit_code == 0
    today = localtime.today()
    assert f"as of {today.isoformat()}" in result.stdout
    with db.session() as session:
        assert session.scalars(select(ClassificationRun.as_of)).all() == [today]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify", "--as-of", "2026-13-01"], "'2026-13-01' is not a date (YYYY-MM-DD)"),
        (["classify", "--as-of", "15/01/2026"], "'15/01/2026' is not a date (YYYY-MM-DD)"),
        (["import", "meters", "x.csv"], "'meters' is not one of"),
        (["import", "readings", "/nonexistent/readings.csv"], "does not exist"),
        (["vip", "list", "--format", "xml"], "'xml' is not one of"),
    ],
)
def test_usage_errors_exit_2_and_say_why(db: Database, args: list[str], message: str):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    with db.session() as session:
        assert session.scalars(select(ClassificationRun)).all() == []


def test_history_of_an_unknown_customer_is_an_error(db: Database):
    result = cli("vip", "history", "--customer", "NOPE", "--format", "csv")
    assert result.exit_code == 1
    assert "unknown customer 'NOPE'" in result.stderr
    assert result.stdout == ""


# --- rejected files -----------------------------------------------------------------


def test_a_rejected_file_exits_non_zero_lists_every_bad_row_on_stderr_and_writes_nothing(
    db: Database, files, tmp_path: Path
):
    for kind in ("customers", "sites"):
        assert cli("import", kind, files[kind]).exit_code == 0
    before = row_counts(db)
    bad = write(
        tmp_path / "bad.csv",
        READINGS_HEADER,
        "S1,2025-01-01T00:00:00Z,2025-01-01T00:15:00Z,1",
        "S9,2025-01-01T00:15:00Z,2025-01-01T00:30:00Z,1",
        "S1,2025-01-01T00:30:00Z,2025-01-01T00:45:00Z,-1",
        "S1,2025-01-01T00:45:00Z,2025-01-01T00:45:00Z,1",
        "S1,2025-01-01T01:00:00Z,2025-01-01T01:15:00Z,x",
        "S1,2025-02-30,2025-03-01,1",
    )

    result = python_m_lounge("import", "readings", bad)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.csv: rejected, nothing was imported (5 problems)",
        "line 3: unknown site 'S9'",
        "line 4: kwh is negative",
        "line 5: end '2025-01-01T00:45:00Z' is not after start '2025-01-01T00:45:00Z'",
        "line 6: kwh 'x' is not a number",
        "line 7: start '2025-02-30' is not an ISO 8601 date and time",
    ]
    assert row_counts(db) == before


def test_a_file_with_only_a_header_is_an_empty_import(db: Database, tmp_path: Path):
    empty = write(tmp_path / "empty.csv", READINGS_HEADER)
    result = cli("import", "readings", empty)
    assert (result.exit_code, result.stdout) == (
        0,
        "empty.csv: 0 rows, 0 new, 0 updated, 0 unchanged\n",
    )


def test_a_missing_column_is_reported_by_the_command(db: Database, tmp_path: Path):
    bad = write(tmp_path / "customers.csv", "customer_id,name", "C1,Acme")
    result = cli("import", "customers", bad)
    assert result.exit_code == 1
    assert result.stderr == (
        "customers.csv: rejected, nothing was imported (1 problem)\n"
        "line 1: missing column(s): tax_id\n"
    )


# --- users --------------------------------------------------------------------------


def users(db: Database) -> list[tuple[str, str, str | None]]:
    with db.session() as session:
        return [
            (u.email, u.role, u.customer_id)
            for u in session.scalars(select(User).order_by(User.email))
        ]


def test_users_add_reads_the_password_from_stdin(db: Database, files):
    cli("import", "customers", files["customers"])

    admin = cli("users", "add", "--email", "Ann@Example.com", "--role", "admin",
                stdin="correct horse battery\n")  # fmt: skip
    client = cli("users", "add", "--email", "bob@acme.example", "--role", "client",
                 "--customer", "C1", stdin="another long secret\r\n")  # fmt: skip

    assert (admin.exit_code, admin.stdout) == (0, "added admin ann@example.com\n")
    assert (client.exit_code, client.stdout) == (0, "added client bob@acme.example\n")
    assert users(db) == [("ann@example.com", "admin", None), ("bob@acme.example", "client", "C1")]
    with db.session() as session:
        hashes = dict(session.execute(select(User.email, User.password_hash)).all())
    assert check_password_hash(hashes["ann@example.com"], "correct horse battery")
    assert check_password_hash(hashes["bob@acme.example"], "another long secret")
    assert "correct horse battery" not in hashes["ann@example.com"]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["--email", "a@b.example", "--role", "admin"], "123456789\n",
         "the password must have at least 10 characters"),
        (["--email", "a@b.example", "--role", "admin"], "\n",
         "the password must have at least 10 characters"),
        (["--email", "not-an-email", "--role", "admin"], "long enough pw\n",
         "'not-an-email' is not an e-mail address"),
        (["--email", "a@b.example", "--role", "client"], "long enough pw\n",
         "a client user needs --customer"),
        (["--email", "a@b.example", "--role", "client", "--customer", "C9"], "long enough pw\n",
         "unknown customer 'C9'"),
        (["--email", "a@b.example", "--role", "admin", "--customer", "C1"], "long enough pw\n",
         "only client users belong to a customer"),
    ],
)  # fmt: skip
def test_users_add_refuses_bad_input_and_adds_nobody(
    db: Database, files, args: list[str], password: str, message: str
):
    cli("import", "customers", files["customers"])
    result = cli("users", "add", *args, stdin=password)
    assert result.exit_code == 1
    assert message in result.stderr
    assert users(db) == []


def test_users_add_refuses_an_e_mail_already_taken(db: Database):
    assert cli("users", "add", "--email", "a@b.example", "--role", "admin",
               stdin="long enough pw\n").exit_code == 0  # fmt: skip
    again = cli("users", "add", "--email", "A@B.example", "--role", "demand_staff",
                stdin="long enough pw\n")  # fmt: skip
    assert again.exit_code == 1
    assert "a user with e-mail a@b.example already exists" in again.stderr
    assert users(db) == [("a@b.example", "admin", None)]


# --- the schema ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["vip", "list", "--format", "csv"],
        ["classify", "--as-of", "2026-01-15"],
        ["import", "customers", "{file}"],
    ],
)
def test_commands_on_a_database_without_schema_ask_for_init_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
):
    monkeypatch.setenv("LOUNGE_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    file = write(tmp_path / "customers.csv", "customer_id,name,tax_id", "C1,Acme,T1")
    result = cli(*(arg.format(file=file) for arg in args))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {SCHEMA_MISSING}\n"


def test_init_db_creates_the_schema_then_commands_work(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOUNGE_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")

    missing = python_m_lounge("vip", "list", "--format", "csv")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert SCHEMA_MISSING in missing.stderr

    created = python_m_lounge("init-db")
    assert (created.returncode, created.stdout) == (0, "database is up to date\n")
    assert cli("init-db").stdout == "database is up to date\n"  # again: nothing to do

    listing = cli("vip", "list", "--format", "csv")
    assert (listing.exit_code, listing.stdout) == (
        0,
        "customer_id,name,is_vip,rule,window_kwh,max_site_kwh,since\n",
    )
