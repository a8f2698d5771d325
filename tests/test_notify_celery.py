"""Sending on Celery: ``python -m lounge worker`` with a broker is a real Celery worker with its
beat schedule, against a real Redis, and it sends what the outbox holds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import Delivery, Notification
from db.session import Database
from lounge.notify.sandbox import serve_mail
from lounge.settings import ROOT
from tests.factories import free_port, queued_emails


# one backend is enough: the outbox itself is tested on both
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_celery_worker_sends_the_queued_messages(db: Database, broker: str, tmp_path: Path):
    queued_emails(db, *(f"contact{n}@c1.example" for n in range(3)))
    mail = serve_mail(tmp_path / "mail", free_port())
    env = os.environ | {
        "LOUNGE_DATABASE_URL": db.url,
        "LOUNGE_CELERY_BROKER_URL": broker,
        "LOUNGE_SMTP_HOST": "127.0.0.1",
        "LOUNGE_SMTP_PORT": str(mail.port),
        "LOUNGE_NOTIFY_POLL_SECONDS": "1",
        "LOUNGE_SECRET_KEY": "test",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "lounge", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        statuses: list[str] = []
        while time.monotonic() < deadline and worker.poll() is None:
            with db.session() as session:
                statuses = list(session.scalars(select(Notification.status)))
            if statuses == [Delivery.SENT] * 3:
                break
            time.sleep(1)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
        mail.stop()
    assert statuses == [Delivery.SENT] * 3, output[-3000:]
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 3
    assert "celery" in output.lower()
