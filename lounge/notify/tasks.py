"""Sending as Celery tasks, for more than one machine: the same drain as the embedded worker.

A beat schedule enqueues :func:`drain` every ``LOUNGE_NOTIFY_POLL_SECONDS``; any number of workers
on any number of machines run it, and the outbox claims keep them from sending a message twice.
"""

from __future__ import annotations

from typing import Any

from db.session import Database
from lounge import settings

TASK = "lounge.notify.drain"


def register(celery: Any, poll_seconds: float) -> None:
    """Add the drain task and its schedule to the application's Celery app."""

    @celery.task(name=TASK, ignore_result=True)
    def drain() -> int:
        from lounge.notify import worker  # the sending stack loads only in workers

        config = settings.load()
        database = Database(config.database_url)
        try:
            return worker.drain_once(database, config)
        finally:
            database.dispose()

    celery.conf.beat_schedule = {
        "notifications": {"task": TASK, "schedule": poll_seconds, "options": {"expires": 60}}
    }
