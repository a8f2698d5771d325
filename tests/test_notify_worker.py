"""Exactly once across a worker killed between the provider's acceptance and its own record:
real worker processes (``python -m lounge worker``), a real SMTP server, SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from db.models import Delivery, Notification
from db.session import Database
from lounge.notify.sandbox import MailSandbox
from lounge.settings import ROOT
from tests.factories import free_port, queued_emails


class SlowFirstAnswer(MailSandbox):
    """Keeps the message, then holds its "250" for a while the first time: the window in which
    the worker is killed, after the server has the message and before the worker knows."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.received = threading.Event()
        self.release = threading.Event()
        self.deliveries = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        self.deliveries += 1
        self.received.set()
        if self.deliveries == 1:
            await asyncio.to_thread(self.release.wait, 30)
        return answer


def _worker(db: Database, port: int, *args: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "LOUNGE_DATABASE_URL": db.url,
        "LOUNGE_SMTP_HOST": "127.0.0.1",
        "LOUNGE_SMTP_PORT": str(port),
        "LOUNGE_NOTIFY_LEASE_SECONDS": "2",
        "LOUNGE_NOTIFY_POLL_SECONDS": "0.2",
        "LOUNGE_SECRET_KEY": "test",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "lounge", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _row(db: Database) -> Notification:
    with db.session() as session:
        return session.scalars(select(Notification)).one()


def test_a_worker_killed_after_the_server_took_the_message_does_not_send_it_twice(
    db: Database, tmp_path: Path
):
    queued_emails(db, "dana@c1.example")
    handler = SlowFirstAnswer(tmp_path / "mail")
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        first = _worker(db, controller.port)
        assert handler.received.wait(60), first.communicate(timeout=5)[0].decode()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        handler.release.set()
        killed = _row(db)
        assert (killed.status, killed.attempts, killed.sent_at) == (Delivery.SENDING, 1, None)

        time.sleep(2.5)  # the dead worker's lease runs out
        second = _worker(db, controller.port, "--once")
        output = second.communicate(timeout=60)[0].decode()
        assert second.returncode == 0, output
    finally:
        controller.stop()
    sent = _row(db)
    assert (sent.status, sent.attempts) == (Delivery.SENT, 2)
    assert handler.deliveries == 2  # the second worker did hand it over again ...
    assert len(handler.messages()) == 1  # ... and the server knew it by its Message-ID
    assert sent.provider_id == f"<{sent.key}@lounge-electric.example>"
