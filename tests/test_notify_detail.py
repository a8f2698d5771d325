"""A message's page for staff on Notifications: its steps, what it said, its PDF and its contact,
for the customers the viewer serves only; and the contact opened for editing from there."""

from __future__ import annotations

import io
import json

import pdfplumber
import pytest
from sqlalchemy import select

from db.models import Channel, Contact, Notification, User
from db.session import Database
from lounge import access
from lounge.access import Viewer
from lounge.notify import attachments, outbox, status
from lounge.notify.email import SendFailed
from lounge.notify.outbox import Message, Receipt
from tests.test_web_access import MESSAGE_DETAIL, _page
from tests.web_fixtures import call, sign_in


def _viewer(db: Database, email: str) -> Viewer:
    with db.session() as session:
        return Viewer.of(session.scalars(select(User).where(User.email == email)).one())


@pytest.fixture
def messages(db: Database, world) -> dict[str, int]:
    """Per customer (CA, CB): a contact, an e-mail with the membership PDF that failed once and
    then went, and a letter. Returns the ids by name."""
    ids: dict[str, int] = {}
    with db.session() as session:
        for customer in (world.own, world.other):
            contact = Contact(customer_id=customer, name=f"Reader {customer}", language="en")
            session.add(contact)
            session.flush()
            ids[f"contact {customer}"] = contact.id
            base = Message(
                topic="membership",
                kind="welcome",
                source="vip_event:1",
                channel=Channel.EMAIL,
                language="en",
                recipient=f"reader@{customer.lower()}.example",
                subject=f"Welcome {customer}",
                body=f"Dear reader of {customer}",
                customer_id=customer,
                contact_id=contact.id,
                attachment=attachments.attach("membership", status.sample_facts("welcome", "en")),
            )
            letter = Message(**(base.__dict__ | {"channel": Channel.POST, "attachment": None}))
            outbox.enqueue(session, [base, letter])
            rows = session.scalars(
                select(Notification).where(Notification.customer_id == customer)
            ).all()
            by_channel = {row.channel: row.id for row in rows}  # a SELECT has no order of its own
            ids[f"email {customer}"] = by_channel[Channel.EMAIL]
            ids[f"letter {customer}"] = by_channel[Channel.POST]
    with db.sessions() as session:
        claimed = outbox.claim(session, "w1", [Channel.EMAIL], 10)
        for message in claimed:
            outbox.record_failure(session, message, "w1", SendFailed("451 busy", permanent=False))
        session.execute(
            Notification.__table__.update().values(next_attempt_at=claimed[0].created_at)
        )
        session.commit()
        for message in outbox.claim(session, "w2", [Channel.EMAIL], 10):
            outbox.record_sent(session, message, "w2", Receipt("<id@x>"))
    return ids


def test_staff_see_the_steps_text_and_contact_of_their_customers_message(db, world, messages):
    manager = _viewer(db, "manager@a.test")
    with db.session() as session:
        found = status.detail(session, manager, messages["email CA"])
        assert found.customer and found.message.body == "Dear reader of CA"
        assert [(s.status, s.attempt, s.actor, s.detail) for s in found.steps] == [
            ("queued", 1, "w1", "451 busy"),
            ("sent", 2, "w2", "<id@x>"),
        ]
        assert found.contact is not None and found.contact.name == "Reader CA"
        assert found.may_edit_contact and found.has_pdf
        with pytest.raises(access.NotFound):
            status.detail(session, manager, messages["email CB"])
        demand = status.detail(session, _viewer(db, "demand@a.test"), messages["email CB"])
        assert demand.has_pdf and not demand.may_edit_contact
        with pytest.raises(access.AccessDenied):
            status.detail(session, _viewer(db, "client@a.test"), messages["email CA"])


def test_the_message_pdf_is_the_attachment_or_the_letter_and_only_for_its_staff(
    client, world, messages
):
    sign_in(client, "manager@a.test")
    attachment = client.get(f"/download/notification/{messages['email CA']}.pdf")
    assert attachment.status_code == 200
    with pdfplumber.open(io.BytesIO(attachment.data)) as pdf:
        assert "Why Ofek Industries Ltd. is a member" in pdf.pages[0].extract_text()
    letter = client.get(f"/download/notification/{messages['letter CA']}.pdf")
    with pdfplumber.open(io.BytesIO(letter.data)) as pdf:
        assert "Dear reader of CA" in pdf.pages[0].extract_text()
    for forged in (messages["email CB"], messages["letter CB"], "x", "-1"):
        assert client.get(f"/download/notification/{forged}.pdf").status_code == 404
    client.delete_cookie("lounge_session")
    sign_in(client, "client@a.test")
    assert client.get(f"/download/notification/{messages['email CA']}.pdf").status_code == 404


def test_the_detail_callback_shows_the_message_and_links_its_contact(client, world, messages):
    sign_in(client, "manager@a.test")
    own = call(client, MESSAGE_DETAIL, {"outbox-grid.cellClicked": {"rowId": messages["email CA"]}})
    body = json.dumps(own.get_json(), ensure_ascii=False)  # Dash escapes "/" and "&"
    assert "Dear reader of CA" in body and "451 busy" in body and "Reader CA" in body
    assert f"/contacts?customer=CA&contact={messages['contact CA']}" in body
    assert f"/download/notification/{messages['email CA']}.pdf" in body
    forged = call(
        client, MESSAGE_DETAIL, {"outbox-grid.cellClicked": {"rowId": messages["email CB"]}}
    )
    text = forged.get_data(as_text=True)
    assert "Reader CB" not in text and "Dear reader of CB" not in text


def test_the_contacts_page_opens_the_contact_named_in_the_address_and_no_other(
    client, world, messages
):
    sign_in(client, "manager@a.test")
    opened = _page(client, "/contacts", f"?customer=CA&contact={messages['contact CA']}")
    assert '"is_open":true' in opened.replace(" ", "") and "Reader CA" in opened
    for forged in (messages["contact CB"], "x"):
        page = _page(client, "/contacts", f"?customer=CA&contact={forged}")
        assert '"is_open":false' in page.replace(" ", "") and "Reader CB" not in page
