"""Local stand-ins for the outside world: a mail server and an SMS gateway that keep what they get.

``make run`` and the tests send real SMTP to :class:`MailSandbox` (aiosmtpd on localhost) and texts
to :class:`SmsSandbox`; both write one file per message under a folder (``instance/mail``,
``instance/sms`` by default) where a person can read what was "sent". Like real providers that
honour idempotency keys, both keep the first copy of a key and answer a repeat with the same id:
that is what makes a resend after a crash harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from lounge.notify import sms
from lounge.notify.delivery import DeliveryReport
from lounge.notify.outbox import Receipt
from lounge.settings import create_private_file


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._@" else "_" for c in text.strip("<>"))


class MailSandbox:
    """An aiosmtpd handler keeping each message as ``<Message-ID>.eml``, the first copy only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content)
        message_id = message.get("Message-ID") or make_msgid()
        create_private_file(self.folder / f"{_safe_name(message_id)}.eml", envelope.content)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))


def serve_mail(folder: Path, port: int) -> Controller:
    """Serve :class:`MailSandbox` on 127.0.0.1:``port``; stop it with ``.stop()``."""
    controller = Controller(MailSandbox(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


class SmsSandbox:
    """A gateway that records texts as ``<key>.json`` and, like a real one, reports each
    delivered afterwards through ``report`` (the lounge's delivery-report endpoint,
    :func:`lounge.notify.delivery.poster`); without one, a text stays "sent"."""

    def __init__(
        self, folder: Path, report: Callable[[DeliveryReport], None] | None = None
    ) -> None:
        self.folder = folder
        self.report = report
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, to: str, text: str, key: str) -> Receipt:
        segments = sms.segment(text)
        record = {
            "to": to,
            "text": text,
            "encoding": segments.encoding,
            "parts": segments.count,
            "key": key,
        }
        path = self.folder / f"{_safe_name(key)}.json"
        first = create_private_file(path, json.dumps(record).encode())
        if first and self.report is not None:  # a repeated key is the same text: reported once
            self.report(DeliveryReport(key, delivered=True))
        return Receipt(provider_id=f"sandbox-{key}")

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in sorted(self.folder.glob("*.json"))]
