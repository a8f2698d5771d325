"""Sending as Celery tasks, for more than one machine: the same drain as the embedded worker.

A beat schedule enqueues :func:`drain` every ``LOUNGE_NOTIFY_POLL_SECONDS``; any number of workers
on any number of machines run it, and the outbox claims keep them from sending a message twice.
Scheduled demand notices are issued by a task of the same schedule; the conditional issue keeps
two workers from issuing one twice.
"""

from __future__ import annotations

from typing import Any

from db.session import Database
from lounge import settings

TASK = "lounge.notify.drain"
ISSUE_TASK = "lounge.demand.issue_scheduled"


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

    @celery.task(name=ISSUE_TASK, ignore_result=True)
    def issue_scheduled() -> int:
        from lounge.notify import worker

        config = settings.load()
        database = Database(config.database_url)
        try:
            return worker.issue_scheduled(database, config)
        finally:
            database.dispose()

    celery.conf.beat_schedule = {
        "notifications": {"task": TASK, "schedule": poll_seconds, "options": {"expires": 60}},
        "scheduled notices": {
            "task": ISSUE_TASK,
            "schedule": poll_seconds,
            "options": {"expires": 60},
        },
    }
