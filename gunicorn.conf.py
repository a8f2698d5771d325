"""gunicorn settings for serving the lounge: `make run`, or
`.venv/bin/gunicorn -c gunicorn.conf.py` (``python app.py`` is the one-process
development server).

Several worker processes, so that every core works (one Python process keeps one
core busy, whatever its threads do). Nothing a worker keeps for itself must be
shared: the sign-in waits are in the database, the sign-in rate limit is in Redis
when LOUNGE_RATELIMIT_STORAGE_URL names it (otherwise each worker counts its own).
The app is not preloaded: each worker opens its own database connections.
"""

import multiprocessing
import subprocess
import sys

from db import migrate
from db.session import Database
from lounge import settings as lounge_settings

# read once here, in the master: it also creates instance/secret_key before any
# worker starts, so that all of them sign cookies with the same key
_config = lounge_settings.load()

wsgi_app = "app:wsgi()"
bind = f"{_config.host}:{_config.port}"
workers = max(1, _config.workers_per_core * multiprocessing.cpu_count())
worker_class = "gthread"
threads = _config.threads
timeout = _config.timeout_seconds
graceful_timeout = _config.timeout_seconds
accesslog = "-"


def on_starting(server: object) -> None:
    """Refuse to serve a database whose schema is missing or behind."""
    engine = Database(_config.database_url).engine
    current = migrate.is_current(engine)
    engine.dispose()
    if not current:
        sys.exit("The database schema is missing or out of date: run `python -m lounge init-db`.")
    if _config.ratelimit_storage_url.startswith("memory://") and workers > 1:
        print(
            f"Note: {workers} workers each count the sign-in rate limit for themselves; "
            "set LOUNGE_RATELIMIT_STORAGE_URL=redis://... to share it.",
            flush=True,
        )
    print(f"Business Lounge is serving at http://{bind} ({workers} workers)", flush=True)


#: The notifications sender (and the local mail sandbox) that ``make run`` starts beside the
#: web workers, so that the demo needs nothing else; with a Celery broker the senders are
#: Celery workers started on their own (``python -m lounge worker``).
_sender: subprocess.Popen[bytes] | None = None


def when_ready(server: object) -> None:
    global _sender
    if not _config.celery_broker_url:
        command = [sys.executable, "-m", "lounge", "worker", "--mail-sandbox"]
        _sender = subprocess.Popen(command)
        where = _config.smtp_host or f"the mail sandbox ({_config.sandbox_dir / 'mail'})"
        print(f"Notifications are sent to {where}; texts to {_config.sandbox_dir / 'sms'}")


def on_exit(server: object) -> None:
    if _sender is not None:
        _sender.terminate()
        _sender.wait(timeout=30)
