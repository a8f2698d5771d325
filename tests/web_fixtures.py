"""A small world for the web tests: two customers, their people, a classification."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, replace
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from db.models import Contract, Customer, Invoice, InvoiceLine, Payment, PaymentAllocation, Site
from db.session import Database
from lounge import classification, ingest, localtime, users

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class World:
    as_of: dt.date
    own: str = "CA"
    other: str = "CB"
    own_site: str = "SA1"
    other_site: str = "SB1"
    other_name: str = "Zebra Cold Storage"
    other_site_name: str = "Zebra Warehouse Eilat"
    #: invoice ids: the own customer's open invoice, and the other customer's
    own_invoice: int = 0
    other_invoice: int = 0
    #: a succeeded payment of the other customer
    other_payment: int = 0


def _monthly_rows(site: str, first: dt.date, months: int, kwh: int) -> list[str]:
    rows = []
    for n in range(months):
        start = localtime.add_months(first, n)
        end = localtime.add_months(first, n + 1)
        rows.append(f"{site},{start.isoformat()},{end.isoformat()},{kwh}")
    return rows


def _invoice(session: Session, number: str, customer: str, site: str, first: dt.date) -> int:
    contract = Contract(
        number=f"K-{number}",
        site_id=site,
        tariff="Low-voltage flat",
        voltage_level="low",
        capacity_kva=100,
        supplier="Israel Electric",
        start_date=dt.date(2020, 1, 1),
        end_date=None,
    )
    session.add(contract)
    session.flush()
    invoice = Invoice(
        number=number,
        customer_id=customer,
        contract_id=contract.id,
        site_id=site,
        period_start=first,
        period_end=localtime.add_months(first, 1),
        issue_date=localtime.add_months(first, 1),
        due_date=localtime.add_months(first, 2),
        wh=1_000_000,
        subtotal=Decimal("1000.00"),
        vat_rate=Decimal("0.18"),
        vat=Decimal("180.00"),
        total=Decimal("1180.00"),
    )
    session.add(invoice)
    session.flush()
    return invoice.id


def _bill(session: Session, world: World, first: dt.date) -> World:
    """One open invoice each; the other customer also paid one (it has a receipt)."""
    own = _invoice(session, "INV-A-1", "CA", world.own_site, first)
    other = _invoice(session, "INV-B-1", world.other, world.other_site, first)
    paid = _invoice(
        session, "INV-B-2", world.other, world.other_site, localtime.add_months(first, 1)
    )
    payment = Payment(
        customer_id=world.other,
        idempotency_key="seed-payment-000001",
        amount=Decimal("1180.00"),
        method="card",
        status="succeeded",
        provider="sandbox",
        provider_reference="sbx_seed",
        receipt_number="RCP-SEED-1",
        created_by="client@b.test",
        completed_at=dt.datetime.now(dt.UTC),
    )
    session.add(payment)
    session.flush()
    session.add(
        PaymentAllocation(payment_id=payment.id, invoice_id=paid, amount=Decimal("1180.00"))
    )
    return replace(world, own_invoice=own, other_invoice=other, other_payment=payment.id)


def seed(database: Database) -> World:
    """Customer CA (a member via one big site) and CB (not a member), with users."""
    world = World(as_of=localtime.today())
    first = localtime.add_months(localtime.first_of_month(world.as_of), -13)
    with database.session() as session:
        session.add_all(
            [
                Customer(id="CA", name="Acme Steel Works", tax_id="510000011", segment="factory"),
                Customer(
                    id=world.other,
                    name=world.other_name,
                    tax_id="510000022",
                    segment="cold_storage",
                    language="en",
                ),
                Site(id="SA1", customer_id="CA", name="Acme Ashdod Plant", region="South"),
                Site(id="SA2", customer_id="CA", name="Acme Haifa Depot", region="Haifa"),
                Site(
                    id=world.other_site,
                    customer_id=world.other,
                    name=world.other_site_name,
                    region="South",
                ),
            ]
        )
        session.flush()
        rows = (
            _monthly_rows("SA1", first, 13, 100_000)
            + _monthly_rows("SA2", first, 13, 5_000)
            + _monthly_rows(world.other_site, first, 13, 7_000)
        )
        data = ("site_id,start,end,kwh\n" + "\n".join(rows) + "\n").encode()
        ingest.import_file(session, "readings", data, "seed.csv", "test")
        classification.classify(session, world.as_of, "test")
        world = _bill(session, world, first)
        for email, role, customer in (
            ("client@a.test", "client", "CA"),
            ("client@b.test", "client", world.other),
            ("manager@a.test", "account_manager", None),
            ("demand@a.test", "demand_staff", None),
            ("admin@a.test", "admin", None),
        ):
            users.create_user(
                session,
                email=email,
                role=role,
                password=PASSWORD,
                customer_id=customer,
                actor="test",
            )
        users.assign_manager(session, "manager@a.test", ["CA"], "test")
    return world


def earlier_invoice(database: Database, invoice_id: int) -> int:
    """Another invoice of the same contract, the month before, with the lines of a bill."""
    with database.session() as session:
        invoice = session.get_one(Invoice, invoice_id)
        earlier = Invoice(
            number=f"{invoice.number}-0",
            customer_id=invoice.customer_id,
            contract_id=invoice.contract_id,
            site_id=invoice.site_id,
            period_start=localtime.add_months(invoice.period_start, -1),
            period_end=invoice.period_start,
            issue_date=invoice.period_start,
            due_date=localtime.add_months(invoice.period_start, 1),
            wh=900_000,
            subtotal=Decimal("600.00"),
            vat_rate=Decimal("0.18"),
            vat=Decimal("108.00"),
            total=Decimal("708.00"),
            lines=[
                InvoiceLine(
                    position=1,
                    kind="energy",
                    quantity=Decimal("900"),
                    unit="kWh",
                    unit_price=Decimal("0.62"),
                    amount=Decimal("558.00"),
                ),
                InvoiceLine(
                    position=2,
                    kind="fixed",
                    quantity=Decimal("1"),
                    unit="month",
                    unit_price=Decimal("42.00"),
                    amount=Decimal("42.00"),
                ),
            ],
        )
        session.add(earlier)
        session.flush()
        return earlier.id


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def dependencies(client: FlaskClient) -> list[dict]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return response.get_json()


def call(
    client: FlaskClient,
    output: str,
    inputs: dict[str, object],
    state: dict[str, object] | None = None,
    triggered: str | None = None,
):
    """POST a callback the way the browser does, with whatever values we choose.

    A background callback first answers with a job handle; this polls it, as the
    browser does, and returns the job's answer (its progress reports are kept in
    ``response.progress``).
    """
    spec = next(d for d in dependencies(client) if d["output"] == output)

    def values(items: list[dict], given: dict[str, object]) -> list[dict]:
        result = []
        for item in items:
            key = f"{item['id']}.{item['property']}"
            result.append({"id": item["id"], "property": item["property"], "value": given.get(key)})
        return result

    outputs = [
        {"id": part.split(".")[0], "property": part.split(".")[1]}
        for part in output.strip(".").split("...")
    ]
    body = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": values(spec["inputs"], inputs),
        "state": values(spec["state"], state or {}),
        "changedPropIds": [triggered or next(iter(inputs))],
    }
    response = client.post("/_dash-update-component", json=body)
    handle = response.get_json(silent=True) or {}
    progress: list[dict] = []
    deadline = time.monotonic() + 60
    while "cacheKey" in handle and "response" not in handle and response.status_code == 200:
        assert time.monotonic() < deadline, "the background job did not finish"
        time.sleep(0.05)
        query = {"cacheKey": handle["cacheKey"], "job": handle["job"]}
        response = client.post("/_dash-update-component", json=body, query_string=query)
        answer = response.get_json(silent=True) or {}
        if "progress" in answer:
            progress.append(answer["progress"])
        if "response" in answer or response.status_code != 200:
            break
    response.progress = progress  # type: ignore[attr-defined]
    return response
