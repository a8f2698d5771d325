"""Demo requests and faults: every state, breached and met SLAs, members' and others' faults,
comments both ways, an internal note and a file; their messages as if sent back then.

Written through :mod:`lounge.requests` itself (with the times of the plan), so the timeline, due
dates, fault-desk order and messages are exactly what the lounge makes of real requests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import String, cast, select, update
from sqlalchemy.orm import Session

from db.models import (
    Contract,
    Delivery,
    Invoice,
    Notification,
    RequestEvent,
    Site,
    User,
)
from lounge import settings
from lounge.access import Viewer
from lounge.requests import attachments, workflow
from lounge.requests.workflow import RequestForm
from lounge.settings import TIMEZONE

#: A one-page PDF (a scanned meter card, as far as the demo is concerned).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class Step:
    """After ``hours`` from the opening, ``who`` moves the request to ``state`` (or comments)."""

    hours: float
    who: str
    state: str | None
    text: str = ""
    internal: bool = False


@dataclass(frozen=True)
class Plan:
    customer: str
    who: str
    days_ago: int
    form: RequestForm
    steps: tuple[Step, ...] = field(default=())
    attach: bool = False


def _plans(chain: str, factory: str, other: str, far: str, ids: dict[str, str]) -> list[Plan]:
    c, m, d = "client", "manager", "desk"
    return [
        Plan(factory, "client2", 0, RequestForm("fault", "partial_supply", "Half the plant is dark",
             "Line 2 and the offices lost power at 07:40; line 1 runs.", site_id=ids["factory"])),
        Plan(chain, c, 1, RequestForm("fault", "no_supply", "No power at the branch",
             "The whole store is dark, the fridges are on the generator.", site_id=ids["site0"]),
             (Step(0.5, d, "in_progress", "A crew is on its way."),)),
        Plan(chain, c, 12, RequestForm("fault", "voltage_quality", "Lights flicker every evening",
             "The voltage drops around 18:00 and the tills restart.", site_id=ids["site3"]),
             (Step(1, m, "assigned"), Step(3, d, "in_progress", "A meter to record the voltage "
              "is being installed."),
              Step(30, d, "waiting_for_customer", "Please give the crew access to the electrical "
                   "room."),
              Step(52, c, None, "Access arranged for Sunday at 08:00, ask for Moshe."),
              Step(60, d, None, "Recording shows dips to 205 V; the transformer tap needs "
                   "changing.", True))),
        Plan(chain, c, 20, RequestForm("meter_inspection", "", "Meter reads too high",
             "The meter shows twice the usual consumption since last month.",
             site_id=ids["site5"]),
             (Step(2, m, "assigned"), Step(50, m, "resolved", "The meter was replaced; the "
              "old one ran 4% fast. The next bill is corrected."), Step(70, c, "closed"))),
        Plan(chain, c, 4, RequestForm("billing", "dispute", "Estimated reading on the bill",
             "The bill uses an estimate although the meter was read.", invoice_id=ids["invoice"]),
             (Step(1, m, "assigned", "Check the estimate against the meter photo.", True),
              Step(3, m, "waiting_for_customer", "Please send us a photo of the meter.")),
             attach=True),
        Plan(chain, m, 30, RequestForm("contract_change", "tariff", "Move to the time-of-use "
             "tariff", "Most of our load is at night.", contract_id=ids["contract"]),
             (Step(4, m, "in_progress"), Step(24 * 22, m, "resolved", "The new tariff applies "
              "from the first of next month."))),
        Plan(chain, c, 0, RequestForm("general", "", "Energy efficiency workshop",
             "Can our branch managers join the next workshop?")),
        Plan(chain, c, 2, RequestForm("new_connection", "", "Connection for the new branch",
             "", address="12 HaNassi St, Modiin", capacity_kva="400"),
             (Step(3, m, "assigned"),)),
        Plan(other, m, 2, RequestForm("fault", "no_supply", "Cold room without power",
             "Opened by the account manager after a call.", site_id=ids["other"]),
             (Step(1, d, "in_progress", "Crew dispatched."),)),
        Plan(far, "admin", 1, RequestForm("fault", "voltage_quality", "Voltage spikes",
             "", site_id=ids["far"])),
    ]  # fmt: skip


def _site(session: Session, customer: str, skip: int = 0) -> str:
    ids = session.scalars(select(Site.id).where(Site.customer_id == customer).order_by(Site.id))
    return list(ids)[skip]


def write(session: Session, today: dt.date, chain: str, factory: str, other: str, far: str) -> int:
    """Write the demo requests; returns how many."""
    people = {
        key: Viewer.of(session.scalars(select(User).where(User.email == email)).one())
        for key, email in {
            "client": "client@demo.lounge",
            "client2": "client2@demo.lounge",
            "manager": "manager@demo.lounge",
            "desk": "desk@demo.lounge",
            "admin": "admin@demo.lounge",
        }.items()
    }
    contract = session.scalar(
        select(Contract.id)
        .join(Site, Site.id == Contract.site_id)
        .where(Site.customer_id == chain)
        .order_by(Contract.id)
    )
    invoice = session.scalar(
        select(Invoice.id).where(Invoice.customer_id == chain).order_by(Invoice.issue_date.desc())
    )
    ids = {
        "site0": _site(session, chain),
        "site3": _site(session, chain, 3),
        "site5": _site(session, chain, 5),
        "factory": _site(session, factory),
        "other": _site(session, other),
        "far": _site(session, far),
        "contract": str(contract),
        "invoice": str(invoice),
    }
    base = settings.load().public_url
    now = dt.datetime.now(dt.UTC)
    for plan in _plans(chain, factory, other, far, ids):
        day = today - dt.timedelta(days=plan.days_ago)
        opened = dt.datetime.combine(day, dt.time(8, 15), TIMEZONE).astimezone(dt.UTC)
        opened = min(opened, now - dt.timedelta(hours=1))
        made = workflow.open_request(
            session, people[plan.who], plan.customer, plan.form, base, now=opened
        )
        for step in plan.steps:
            at = min(opened + dt.timedelta(hours=step.hours), now)
            if step.state is None:
                workflow.comment(
                    session, people[step.who], made.id, step.text, base, step.internal, now=at
                )
            else:
                workflow.change_state(
                    session, people[step.who], made.id, step.state, step.text, base,
                    step.internal, now=at,
                )  # fmt: skip
        if plan.attach:
            attachments.add(
                session, people["client"], made.id, "meter-card.pdf", DEMO_PDF,
                settings.load().attachments_dir, 10 * 1024 * 1024,
            )  # fmt: skip
    _sent_back_then(session, now)
    return len(_plans(chain, factory, other, far, ids))


def _sent_back_then(session: Session, now: dt.datetime) -> None:
    """The messages went out when their change happened; staff and clients read the old ones."""
    timed = session.execute(
        select(Notification.id, Notification.channel, RequestEvent.at).join(
            RequestEvent,
            Notification.source == "request_event:" + cast(RequestEvent.id, String),
        )
    ).all()
    for message_id, channel, at in timed:
        session.execute(
            update(Notification)
            .where(Notification.id == message_id)
            .values(
                created_at=at,
                sent_at=at,
                status=Delivery.DELIVERED if channel in ("sms", "in_app") else Delivery.SENT,
                attempts=0 if channel == "in_app" else 1,
                read_at=at if now - at > dt.timedelta(days=3) else None,
            )
        )
