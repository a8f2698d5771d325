"""Delivery reports of the SMS gateway: signed, idempotent, unknown keys answered plainly, and
the sandbox gateway reporting through the real endpoint so that a text shows as delivered."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from db.models import Channel, Contact, Delivery, Notification, NotificationStep
from db.session import Database
from lounge.notify import delivery, outbox
from lounge.notify.channels import senders
from lounge.notify.delivery import HEADER, PATH, DeliveryReport
from lounge.notify.email import SmtpServer
from lounge.notify.outbox import Message, Receipt
from lounge.notify.sandbox import SmsSandbox
from tests.factories import free_port

DOWN = SmtpServer("127.0.0.1", 9, "lounge@power.example")  # no e-mail is sent here


def _queue(db: Database, *channels: Channel) -> list[str]:
    """A text (and whatever else ``channels`` name) to a contact with a postal address."""
    with db.session() as session:
        contact = Contact(customer_id="CA", name="Dana Cohen", postal_address="5 Herzl St\nHaifa")
        session.add(contact)
        session.flush()
        outbox.enqueue(
            session,
            [
                Message(
                    topic="membership",
                    kind="welcome",
                    source="vip_event:1",
                    channel=channel,
                    language="en",
                    recipient="dana@ca.example" if channel is Channel.EMAIL else "+972502345678",
                    subject="Welcome",
                    body="Welcome to the lounge",
                    customer_id="CA",
                    contact_id=contact.id,
                )
                for channel in channels or (Channel.SMS,)
            ],
        )
        return [m.key for m in session.scalars(select(Notification).order_by(Notification.id))]


def _send_texts(db: Database, tmp_path: Path) -> None:
    outbox.drain(db, senders(DOWN, SmsSandbox(tmp_path / "sms")), "w1")


def _post(client, body: bytes, secret: str | None):  # type: ignore[no-untyped-def]
    headers = {HEADER: delivery.sign(secret, body)} if secret is not None else {}
    return client.post(PATH, data=body, headers=headers, content_type="application/json")


def _secret(app) -> str:  # type: ignore[no-untyped-def]
    return app.server.config["LOUNGE_SETTINGS"].sms_report_key


def _message(db: Database, key: str) -> tuple[Notification, list[NotificationStep]]:
    with db.session() as session:
        message = session.scalars(select(Notification).where(Notification.key == key)).one()
        steps = session.scalars(
            select(NotificationStep)
            .where(NotificationStep.notification_id == message.id)
            .order_by(NotificationStep.id)
        ).all()
        return message, list(steps)


def test_a_signed_report_marks_the_text_delivered_once(db, app, client, tmp_path):
    [key] = _queue(db)
    _send_texts(db, tmp_path)
    assert _message(db, key)[0].status == Delivery.SENT
    body = DeliveryReport(key, delivered=True).body()
    for _again in range(2):
        answer = _post(client, body, _secret(app))
        assert (answer.status_code, answer.json) == (200, {"key": key, "status": "delivered"})
    message, steps = _message(db, key)
    assert message.status == Delivery.DELIVERED and message.delivered_at is not None
    assert [(s.status, s.actor) for s in steps] == [("sent", "w1"), ("delivered", "gateway")]


@pytest.mark.parametrize("secret", [None, "not-the-shared-secret"])
def test_an_unsigned_or_forged_report_changes_nothing(db, app, client, tmp_path, secret):
    [key] = _queue(db)
    _send_texts(db, tmp_path)
    answer = _post(client, DeliveryReport(key, delivered=False).body(), secret)
    assert answer.status_code == 401 and "key" not in answer.json
    assert _message(db, key)[0].status == Delivery.SENT


def test_a_signature_of_another_body_does_not_pass(db, app, client, tmp_path):
    [key] = _queue(db)
    _send_texts(db, tmp_path)
    signed = delivery.sign(_secret(app), DeliveryReport(key, delivered=True).body())
    forged = DeliveryReport(key, delivered=False, reason="forged").body()
    answer = client.post(PATH, data=forged, headers={HEADER: signed})
    assert answer.status_code == 401
    assert _message(db, key)[0].status == Delivery.SENT


def test_unknown_keys_and_keys_of_other_channels_are_answered_clearly(db, app, client):
    _text, mail = _queue(db, Channel.SMS, Channel.EMAIL)
    for key in ("no-such-key", mail):
        answer = _post(client, DeliveryReport(key, delivered=True).body(), _secret(app))
        assert answer.status_code == 404
        assert answer.json == {"error": "no text message was sent with this key", "key": key}
    assert _message(db, mail)[0].status == Delivery.QUEUED


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "the body is not JSON"),
        (b'["a"]', "the body is not a JSON object"),
        (b'{"status": "delivered"}', "key: the idempotency key the text was sent with is missing"),
        (b'{"key": "k", "status": "read"}', "status: must be delivered or failed"),
        (b'{"key": "k", "status": "failed", "at": "2026-12-01T10:00"}', "at: the time needs"),
    ],
)
def test_a_malformed_report_is_refused_saying_what_is_wrong(app, client, body, error):
    answer = _post(client, body, _secret(app))
    assert answer.status_code == 400 and answer.json["error"].startswith(error)


def test_a_failed_report_fails_the_text_with_the_reason_and_a_letter_takes_over(
    db, app, client, tmp_path
):
    [key] = _queue(db)
    _send_texts(db, tmp_path)
    report = DeliveryReport(key, delivered=False, reason="handset unreachable (27)")
    for _again in range(2):
        assert _post(client, report.body(), _secret(app)).json["status"] == "failed"
    message, steps = _message(db, key)
    assert (message.status, message.last_error) == (Delivery.FAILED, "handset unreachable (27)")
    assert [s.status for s in steps] == ["sent", "failed"]
    with db.session() as session:
        letters = session.scalars(select(Notification).where(Notification.channel == "post"))
        assert [letter.fallback_for_id for letter in letters] == [message.id]
    late = DeliveryReport(key, delivered=True).body()  # the handset came back after all
    assert _post(client, late, _secret(app)).json["status"] == "delivered"
    assert _post(client, report.body(), _secret(app)).json["status"] == "delivered"


def test_a_report_that_overtakes_the_workers_record_is_kept(db, world):
    [key] = _queue(db)
    with db.sessions() as session:  # commits of its own, as a worker's
        [claimed] = outbox.claim(session, "w1", [Channel.SMS], 10)
        assert delivery.apply(session, DeliveryReport(key, delivered=True)) == "delivered"
        session.commit()
        outbox.record_sent(session, claimed, "w1", Receipt("gw-1"))
    message, steps = _message(db, key)
    assert (message.status, message.provider_id) == (Delivery.DELIVERED, "gw-1")
    assert [(s.status, s.actor) for s in steps] == [("delivered", "gateway"), ("sent", "w1")]


def test_the_sandbox_gateway_reports_delivery_through_the_endpoint(db, app, tmp_path):
    [key] = _queue(db)
    server = make_server("127.0.0.1", free_port(), app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}{PATH}"
        gateway = SmsSandbox(tmp_path / "sms", delivery.poster(url, _secret(app), delay_s=0))
        outbox.drain(db, senders(DOWN, gateway), "w1")
        deadline = time.monotonic() + 30
        while _message(db, key)[0].status != Delivery.DELIVERED and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.shutdown()
    message, steps = _message(db, key)
    assert message.status == Delivery.DELIVERED
    assert {s.actor for s in steps} == {"w1", "gateway"}
