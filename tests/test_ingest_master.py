"""Importing master data: customers and sites are upserts by the source system's id.

Every test runs on SQLite and on PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Customer, ImportBatch, Site
from db.session import Database
from tests.factories import csv_bytes, import_bytes, import_rows, problems, rejected, row_counts

CUSTOMERS = "customer_id,name,tax_id,segment,language"
SITES = "site_id,customer_id,name,region,address,supplier,meter_number"


def customers(db: Database) -> list[tuple[str, str, str, str | None, str]]:
    with db.session() as session:
        return [
            (c.id, c.name, c.tax_id, c.segment, c.language)
            for c in session.scalars(select(Customer).order_by(Customer.id))
        ]


def sites(db: Database) -> list[tuple[str, str, str, str, str | None, str | None, str | None]]:
    with db.session() as session:
        return [
            (s.id, s.customer_id, s.name, s.region, s.address, s.supplier, s.meter_number)
            for s in session.scalars(select(Site).order_by(Site.id))
        ]


@pytest.fixture
def two_customers(db: Database) -> Database:
    import_rows(db, "customers", CUSTOMERS, "C1,Acme,T1,industry,en", "C2,Globex,T2,,")
    return db


# --- customers ----------------------------------------------------------------------


def test_customers_are_inserted_with_defaults_for_empty_optional_cells(db: Database):
    summary = import_rows(
        db,
        "customers",
        "customer_id,name,tax_id",  # the optional columns may be left out
        "C1,Acme,T1",
        'C2,\u05d7\u05d1\u05e8\u05d4 \u05d1\u05e2"\u05de,T2',  # a Hebrew name, quote inside
    )
    assert (summary.kind, summary.rows, summary.inserted) == ("customers", 2, 2)
    assert customers(db) == [
        ("C1", "Acme", "T1", None, "he"),
        ("C2", '\u05d7\u05d1\u05e8\u05d4 \u05d1\u05e2"\u05de', "T2", None, "he"),
    ]
    with db.session() as session:
        batch = session.scalars(select(ImportBatch)).one()
        assert (batch.kind, batch.filename, batch.rows, batch.inserted) == (
            "customers",
            "file.csv",
            2,
            2,
        )


def test_reimporting_customers_changes_nothing(two_customers: Database):
    before = customers(two_customers)
    summary = import_rows(
        two_customers, "customers", CUSTOMERS, "C1,Acme,T1,industry,en", "C2,Globex,T2,,"
    )
    assert (summary.inserted, summary.replaced, summary.unchanged) == (0, 0, 2)
    assert customers(two_customers) == before


def test_customer_upsert_updates_given_values_and_keeps_stored_ones_for_empty_cells(
    two_customers: Database,
):
    summary = import_rows(
        two_customers,
        "customers",
        "Customer_ID, Name ,TAX_ID,segment,language",  # header case and spaces do not matter
        "C1, Acme Holdings ,T1,,",  # new name; segment and language kept
        "C2,Globex,T2,retail,ar",
        "C3,Initech,T3,,",
    )
    assert (summary.inserted, summary.replaced, summary.unchanged) == (1, 2, 0)
    assert customers(two_customers) == [
        ("C1", "Acme Holdings", "T1", "industry", "en"),
        ("C2", "Globex", "T2", "retail", "ar"),
        ("C3", "Initech", "T3", None, "he"),
    ]


def test_a_customer_may_change_its_own_tax_id(two_customers: Database):
    import_rows(two_customers, "customers", CUSTOMERS, "C1,Acme,T9,,")
    assert customers(two_customers)[0][2] == "T9"


def test_tax_id_of_another_customer_is_refused(two_customers: Database):
    before = row_counts(two_customers)
    refusal = rejected(
        two_customers,
        "customers",
        csv_bytes(
            CUSTOMERS,
            "C1,Acme,T1,,",  # its own: fine
            "C3,Initech,T2,,",  # stored customer C2's
            "C4,Umbrella,T5,,",
            "C5,Hooli,T5,,",  # C4's, earlier in this file
        ),
    )
    assert problems(refusal) == [
        (3, "tax_id 'T2' belongs to customer C2"),
        (5, "tax_id 'T5' belongs to customer C4"),
    ]
    assert row_counts(two_customers) == before


def test_bad_customer_rows_are_all_listed_and_nothing_is_written(db: Database):
    refusal = rejected(
        db,
        "customers",
        csv_bytes(
            CUSTOMERS,
            "C1,Acme,T1,,",
            ",No id,T2,,",
            "C3,,T3,,",
            "C1,Acme again,T4,,",
            "C5,Hooli,T5,,fr",
            "C6," + "n" * 201 + ",T6,,",
            "C7,Long tax,T" + "7" * 20 + ",,",
        ),
    )
    assert problems(refusal) == [
        (3, "customer_id is empty"),
        (4, "name is empty"),
        (5, "customer_id 'C1' already appears on line 2"),
        (6, "language 'fr' is not one of: en, he, ar"),
        (7, "name is longer than 200 characters"),
        (8, "tax_id is longer than 20 characters"),
    ]
    counts = row_counts(db)
    assert (counts["customer"], counts["import_batch"], counts["audit_log"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"customer_id,name\nC1,Acme\n", [(1, "missing column(s): tax_id")]),
        (
            b"customer_id,name,tax_id,vat\nC1,Acme,T1,17\n",
            [(1, "unknown column(s): vat; expected customer_id, name, tax_id, segment, language")],
        ),
        (
            # one row too long and one too short: as many commas as a good file
            b"customer_id,name,tax_id\nC1,Acme,T1,extra\nC2,Globex\nC3,Initech,T3\n",
            [(2, "expected 3 fields, found 4"), (3, "expected 3 fields, found 2")],
        ),
        (
            b"customer_id,name,tax_id\nC1,Acme,T1\nC2,Glob\xe9x,T2\n",
            [(3, "the text is not UTF-8 (byte 8 of the line); save the file as UTF-8")],
        ),
    ],
    ids=["missing column", "unknown column", "field counts that add up", "not UTF-8"],
)
def test_malformed_customer_files_are_rejected(db: Database, data: bytes, expected):
    assert problems(rejected(db, "customers", data)) == expected
    assert row_counts(db)["customer"] == 0


def test_line_numbers_count_the_lines_of_quoted_line_breaks(db: Database):
    data = b'customer_id,name,tax_id\nC1,"Acme, Ltd",T1\nC2,"Two\nLines",T2\n\nC3,,T3\n'
    assert problems(rejected(db, "customers", data)) == [(6, "name is empty")]
    import_bytes(db, "customers", data.replace(b"C3,,T3", b"C3,Three,T3"))
    assert [row[1] for row in customers(db)] == ["Acme, Ltd", "Two\nLines", "Three"]


# --- sites --------------------------------------------------------------------------


def test_sites_are_inserted_for_known_customers(two_customers: Database):
    summary = import_rows(
        two_customers,
        "sites",
        SITES,
        'S1,C1,Plant,North,"1 Main St, Haifa",IEC,M-1',
        "S2,C1,Warehouse,South,,,",
        "S3,C2,Office,Center,,Dalia,",
    )
    assert (summary.kind, summary.inserted) == ("sites", 3)
    assert sites(two_customers) == [
        ("S1", "C1", "Plant", "North", "1 Main St, Haifa", "IEC", "M-1"),
        ("S2", "C1", "Warehouse", "South", None, None, None),
        ("S3", "C2", "Office", "Center", None, "Dalia", None),
    ]


def test_site_upsert_reimport_supplier_change_and_move_to_another_customer(
    two_customers: Database,
):
    rows = ["S1,C1,Plant,North,,IEC,M-1", "S2,C1,Warehouse,South,,IEC,"]
    import_rows(two_customers, "sites", SITES, *rows)

    again = import_rows(two_customers, "sites", SITES, *rows)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 2)

    changed = import_rows(
        two_customers,
        "sites",
        "site_id,customer_id,name,region,supplier",
        "S1,C1,Plant,North,Dalia",
        "S2,C2,Warehouse,South,",
    )
    assert (changed.inserted, changed.replaced, changed.unchanged) == (0, 2, 0)
    assert sites(two_customers) == [
        ("S1", "C1", "Plant", "North", None, "Dalia", "M-1"),
        ("S2", "C2", "Warehouse", "South", None, "IEC", None),
    ]


def test_sites_of_unknown_customers_reject_the_file(two_customers: Database):
    before = row_counts(two_customers)
    refusal = rejected(
        two_customers,
        "sites",
        csv_bytes(
            SITES,
            "S1,C1,Plant,North,,,",
            "S2,C9,Ghost,North,,,",
            "S3,,Orphan,North,,,",
            "S1,C2,Again,North,,,",
            "S4,C1,,,,,",
        ),
    )
    assert problems(refusal) == [
        (3, "unknown customer 'C9'"),
        (4, "customer_id is empty"),
        (5, "site_id 'S1' already appears on line 2"),
        (6, "name is empty"),
        (6, "region is empty"),
    ]
    assert row_counts(two_customers) == before
    assert before["site"] == 0


def test_a_site_needs_its_customer_imported_first(db: Database):
    refusal = rejected(db, "sites", csv_bytes(SITES, "S1,C1,Plant,North,,,"))
    assert problems(refusal) == [(2, "unknown customer 'C1'")]
    import_rows(db, "customers", CUSTOMERS, "C1,Acme,T1,,")
    assert import_rows(db, "sites", SITES, "S1,C1,Plant,North,,,").inserted == 1


def test_a_customers_file_of_260000_rows_imports_on_both_databases(db: Database):
    """The file that failed with "too many SQL variables": its ids go to the database in chunks."""
    count = 260_000
    rows = [f"C{n:06d},Customer {n},T{n:06d}" for n in range(count)]
    summary = import_rows(db, "customers", "customer_id,name,tax_id", *rows)
    assert (summary.rows, summary.inserted) == (count, count)
    assert row_counts(db)["customer"] == count


# --- what text may hold ---------------------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_control_characters_reject_the_file_naming_line_and_column(db: Database, quoted: bool):
    name = '"Ac\x00me"' if quoted else "Ac\x00me"
    data = csv_bytes("customer_id,name,tax_id", "C1,Fine,T1", f"C2,{name},T2", "C3,Ok,T\x1b3")
    assert problems(rejected(db, "customers", data)) == [
        (3, "column name holds the control character U+0000"),
        (4, "column tax_id holds the control character U+001B"),
    ]
    assert row_counts(db)["customer"] == 0


def test_tabs_and_quoted_line_breaks_are_text_not_control_characters(db: Database):
    data = b'customer_id,name,tax_id\nC1,"Two\r\nLines\tand a tab",T1\n'
    assert import_bytes(db, "customers", data).inserted == 1


def test_a_region_must_be_one_of_the_configured_list(
    two_customers: Database, monkeypatch: pytest.MonkeyPatch
):
    refusal = rejected(two_customers, "sites", csv_bytes(SITES, "S1,C1,Plant,Atlantis,,,"))
    assert problems(refusal) == [
        (2, "region 'Atlantis' is not one of: North, Haifa, Center, Tel Aviv, Jerusalem, South")
    ]
    monkeypatch.setenv("LOUNGE_REGIONS", "Atlantis, Lemuria")
    assert import_rows(two_customers, "sites", SITES, "S1,C1,Plant,Atlantis,,,").inserted == 1
    refusal = rejected(two_customers, "sites", csv_bytes(SITES, "S2,C1,Plant,North,,,"))
    assert problems(refusal) == [(2, "region 'North' is not one of: Atlantis, Lemuria")]
