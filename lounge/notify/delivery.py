"""Delivery reports: an SMS gateway tells the lounge that a text reached the handset, or not.

A gateway calls ``POST /hooks/sms/delivery`` (:mod:`lounge.web.hooks`) with a JSON body
``{"key": ..., "status": "delivered" | "failed", "reason": ..., "at": ISO 8601}``, where ``key``
is the idempotency key the text was sent with, and signs the body: the header
``X-Lounge-Signature: sha256=<hex HMAC-SHA256 of the body>`` with the secret shared with the
gateway (``LOUNGE_SMS_REPORT_SECRET``; by default one derived from the lounge's secret key, which
the local sandbox gateway shares: ``Settings.sms_report_key``). Nobody else can mark a
message delivered or failed.

Reports are idempotent: the same report again changes nothing and answers the same. A message
that is delivered stays delivered (a later "failed" is ignored); a "failed" report after "sent"
fails the message with the gateway's reason and lets a letter take over as a failed send does.
A report may overtake the worker's own record of the send; the record then finds the delivery
and keeps it. Only text messages take reports: any other key is unknown, as is a key never sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Channel, Delivery, Notification, utcnow
from lounge.notify import outbox

log = logging.getLogger(__name__)

HEADER = "X-Lounge-Signature"
PATH = "/hooks/sms/delivery"
GATEWAY = "gateway"


class ReportRefused(ValueError):
    """A report that is not well formed; the message says what is wrong."""


class UnknownMessage(LookupError):
    """No text message was sent with this key."""


@dataclass(frozen=True)
class DeliveryReport:
    key: str
    delivered: bool
    reason: str | None = None
    at: dt.datetime | None = None

    def body(self) -> bytes:
        report: dict[str, str] = {
            "key": self.key,
            "status": "delivered" if self.delivered else "failed",
        }
        if self.reason:
            report["reason"] = self.reason
        if self.at:
            report["at"] = self.at.isoformat()
        return json.dumps(report).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    return bool(secret) and hmac.compare_digest(sign(secret, body), signature or "")


def poster(url: str, secret: str, delay_s: float = 0.5) -> Callable[[DeliveryReport], None]:
    """Sends reports to the lounge at ``url`` as a gateway does: signed, a moment after the
    text went (on a timer thread; a lounge that does not answer is logged, not retried)."""

    def post(report: DeliveryReport) -> None:
        body = report.body()
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json", HEADER: sign(secret, body)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10):
                pass
        except (urllib.error.URLError, OSError) as exc:
            log.info("delivery report for %s not taken by %s: %s", report.key, url, exc)

    def later(report: DeliveryReport) -> None:
        timer = threading.Timer(delay_s, post, args=(report,))
        timer.daemon = True
        timer.start()

    return later


def parse(body: bytes) -> DeliveryReport:
    try:
        report = json.loads(body)
    except ValueError:
        raise ReportRefused("the body is not JSON") from None
    if not isinstance(report, dict):
        raise ReportRefused("the body is not a JSON object")
    key, status, reason = report.get("key"), report.get("status"), report.get("reason")
    if not isinstance(key, str) or not key or len(key) > 36:
        raise ReportRefused("key: the idempotency key the text was sent with is missing")
    if status not in ("delivered", "failed"):
        raise ReportRefused("status: must be delivered or failed")
    if reason is not None and not isinstance(reason, str):
        raise ReportRefused("reason: must be text")
    at = None
    if report.get("at") is not None:
        try:
            at = dt.datetime.fromisoformat(str(report["at"]))
        except ValueError:
            raise ReportRefused("at: not an ISO 8601 time") from None
        if at.tzinfo is None:
            raise ReportRefused("at: the time needs its offset (or Z)")
    return DeliveryReport(key, status == "delivered", reason, at)


def apply(session: Session, report: DeliveryReport) -> str:
    """Record ``report`` in the caller's transaction; returns the message's status after it.

    The row is read locked: a report arriving while the worker records the send would otherwise
    decide on the status it read before the worker's commit (still "sending": leave the status
    to the worker) and write only ``delivered_at`` after it, leaving the message "sent" for good
    (seen on PostgreSQL). Locked, it waits for the worker's update and decides on its outcome.
    """
    message = session.scalar(
        select(Notification)
        .where(Notification.key == report.key, Notification.channel == Channel.SMS)
        .with_for_update()
    )
    if message is None:
        raise UnknownMessage(report.key)
    at = min(report.at or utcnow(), utcnow())
    if message.status == Delivery.DELIVERED or message.delivered_at is not None:
        return Delivery.DELIVERED
    if report.delivered:
        message.delivered_at = at
        if message.status != Delivery.SENDING:  # else the worker's record finishes it
            message.status = Delivery.DELIVERED
            message.lease_until = None
        outbox.add_steps(
            session, [outbox.step(message.id, Delivery.DELIVERED, actor=GATEWAY, at=at)]
        )
        return Delivery.DELIVERED
    if message.status == Delivery.FAILED:
        return message.status
    message.status = Delivery.FAILED
    message.last_error = (report.reason or "the gateway reports the text undelivered")[:500]
    message.lease_until = None
    outbox.add_steps(
        session,
        [outbox.step(message.id, Delivery.FAILED, actor=GATEWAY, detail=message.last_error, at=at)],
    )
    session.flush()
    outbox.fall_back_to_post(session, message)
    return Delivery.FAILED
