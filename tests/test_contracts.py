"""Contract status by date, and contracts only for those who may see them."""

from __future__ import annotations

import datetime as dt

import pytest

from db.models import Contract, Role
from lounge import access, contracts
from lounge.access import Viewer
from tests.factories import add_customer

D = dt.date
TODAY = D(2026, 11, 23)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 11, 24), None, contracts.UPCOMING),
        (D(2020, 1, 1), None, contracts.ACTIVE),
        (D(2020, 1, 1), D(2026, 11, 22), contracts.ENDED),
        (D(2020, 1, 1), TODAY, contracts.ENDING),  # the last day of supply is today
        (D(2020, 1, 1), TODAY + dt.timedelta(days=90), contracts.ENDING),
        (D(2020, 1, 1), TODAY + dt.timedelta(days=91), contracts.ACTIVE),
        (TODAY, TODAY + dt.timedelta(days=400), contracts.ACTIVE),
    ],
)
def test_status_by_date(start, end, expected):
    assert contracts.status_of(start, end, TODAY) == expected


def _contract(number: str, site: str, start: dt.date, end: dt.date | None) -> Contract:
    return Contract(
        number=number,
        site_id=site,
        tariff="General TOU",
        voltage_level="medium",
        capacity_kva=630,
        supplier="Israel Electric",
        start_date=start,
        end_date=end,
    )


@pytest.fixture
def two_customers(db):
    with db.session() as session:
        add_customer(session, "CA", "SA1", "SA2")
        add_customer(session, "CB", "SB1")
        session.add_all(
            [
                _contract("K-1", "SA1", D(2021, 1, 1), D(2023, 12, 31)),
                _contract("K-2", "SA1", D(2024, 1, 1), D(2027, 12, 31)),
                _contract("K-3", "SA2", D(2024, 1, 1), TODAY + dt.timedelta(days=30)),
                _contract("K-9", "SB1", D(2024, 1, 1), None),
            ]
        )
    return db


def test_a_client_lists_its_own_contracts_with_status(two_customers):
    client = Viewer(1, "c@a", Role.CLIENT, "CA")
    with two_customers.session() as session:
        rows = contracts.contracts(session, client, "CA", TODAY)
    assert [(r.number, r.site_id, r.status) for r in rows] == [
        ("K-2", "SA1", contracts.ACTIVE),
        ("K-1", "SA1", contracts.ENDED),
        ("K-3", "SA2", contracts.ENDING),
    ]


@pytest.mark.parametrize(
    "viewer",
    [
        Viewer(1, "c@a", Role.CLIENT, "CA"),  # another customer's id
        Viewer(2, "d@a", Role.DEMAND_STAFF),  # no commercial data at all
        Viewer(3, "m@a", Role.ACCOUNT_MANAGER),  # CB is not in the portfolio
    ],
)
def test_others_get_nothing(two_customers, viewer):
    with two_customers.session() as session, pytest.raises(access.AccessDenied):
        contracts.contracts(session, viewer, "CB", TODAY)


def test_the_tiles_add_up_and_active_includes_those_ending_soon(two_customers):
    client = Viewer(1, "c@a", Role.CLIENT, "CA")
    with two_customers.session() as session:
        session.add(_contract("K-4", "SA2", TODAY + dt.timedelta(days=5), None))
        session.flush()
        counts = contracts.count_statuses(contracts.contracts(session, client, "CA", TODAY))
    assert counts == contracts.StatusCounts(total=4, active=2, ending=1, upcoming=1, ended=1)
    assert counts.total == counts.active + counts.upcoming + counts.ended
