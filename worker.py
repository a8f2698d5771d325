"""The Celery worker that runs background jobs: ``celery -A worker worker``.

It builds the application as the web server does, with the same ``LOUNGE_*``
settings (``LOUNGE_CELERY_BROKER_URL`` and ``LOUNGE_DATABASE_URL`` among them):
that registers every page's background callbacks as Celery tasks, under names
the web processes and the workers derive alike.
"""

from __future__ import annotations

import sys

from app import create_app
from lounge import settings
from lounge.web import jobs

if not settings.load().celery_broker_url:
    sys.exit("Set LOUNGE_CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker.")
celery = create_app().server.extensions[jobs.MANAGER_KEY].handle
