"""Background jobs: where the long administrator actions (imports, classification) run.

A request that starts a job answers at once with a handle; the browser then polls
for progress and the result (Dash background callbacks), so no web thread is held
for the minutes a large import may take. By default each job is a child process
with its progress and result in a disk cache under ``instance/jobs``: nothing more
to run; it runs below the web workers' CPU priority (:data:`JOB_NICENESS`). With
``LOUNGE_CELERY_BROKER_URL`` set, jobs go through Redis to Celery workers
(``celery -A worker worker``), which may run on other machines.

A job runs outside the request that started it: no Flask globals, no signed-in
user. So the manager hands every job its caller (user id, session token, language)
as its first argument, taken in the request from the signed-in session and never
from the browser; :func:`acting_as` loads that user again in the job, and the
domain then checks the role as it does for any other call.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dash import CeleryManager, DiskcacheManager
from flask_login import current_user
from sqlalchemy.orm import Session

from db.models import Role, User
from db.session import Database
from lounge import i18n, settings
from lounge.access import AccessDenied, Viewer
from lounge.notify import tasks
from lounge.settings import Settings

JOBS_FOLDER = settings.INSTANCE / "jobs"
#: Where the application keeps its manager (``server.extensions``), for the Celery worker.
MANAGER_KEY = "lounge.jobs"


def _caller() -> dict[str, Any] | None:
    """Who is starting the job, as plain values (a Celery message is JSON)."""
    if not current_user.is_authenticated:
        return None
    return {
        "user_id": current_user.user_id,
        "token": current_user.token,
        "language": i18n.current(),
    }


class _CallerFirst:
    """Dash's managers, changed in two ways: every job gets its caller first, and a key
    of its own (Dash derives the key from the inputs alone, so two administrators
    uploading the same file at once would otherwise share one job)."""

    def build_cache_key(self, fn: Any, args: Any, cache_args_to_ignore: Any, triggered: Any) -> str:
        key = super().build_cache_key(fn, args, cache_args_to_ignore, triggered)  # type: ignore[misc]
        return hashlib.sha256(f"{key}:{secrets.token_hex(16)}".encode()).hexdigest()

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        if not isinstance(args, list | tuple):
            raise TypeError("background callbacks of the lounge take positional arguments")
        return super().call_job_fn(key, job_fn, [_caller(), *args], context)  # type: ignore[misc]


#: How much less CPU a job in a child process of the web server gets than the web's
#: requests when both want it (``nice``): a million-row import then takes the idle
#: time, and the pages stay quick.
JOB_NICENESS = 10


def below_the_web(job_fn: Any, *args: Any) -> Any:
    """Run ``job_fn`` in this process at :data:`JOB_NICENESS` (never raising the priority)."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, max(current, JOB_NICENESS))
    return job_fn(*args)


class LoungeDiskcacheManager(_CallerFirst, DiskcacheManager):
    """Jobs as child processes of the web server, below its priority."""

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        return super().call_job_fn(key, functools.partial(below_the_web, job_fn), args, context)


class LoungeCeleryManager(_CallerFirst, CeleryManager):
    pass


def manager(config: Settings) -> DiskcacheManager | CeleryManager:
    """The manager the settings ask for: Celery on a broker, else a local disk cache."""
    if config.celery_broker_url:
        from celery import Celery

        url = config.celery_broker_url
        celery = Celery("lounge", broker=url, backend=url)
        tasks.register(celery, config.notify_poll_seconds)
        return LoungeCeleryManager(celery)
    import diskcache

    return LoungeDiskcacheManager(diskcache.Cache(str(JOBS_FOLDER)))


def _viewer(session: Session, caller: object) -> tuple[Viewer, str]:
    if not isinstance(caller, dict):
        raise AccessDenied("a job without a caller")
    user = session.get(User, caller.get("user_id"))
    if user is None or not user.is_active or user.session_token != caller.get("token"):
        raise AccessDenied("the caller is no longer signed in")
    viewer = Viewer(user.id, user.email, Role(user.role), user.customer_id)
    return viewer, str(caller.get("language") or user.language)


@contextmanager
def acting_as(caller: object) -> Iterator[tuple[Database, Viewer]]:
    """In a job: the database (an engine of its own: a job is another process) and
    the caller as the access layer knows them, in the caller's language.

    Raises :class:`AccessDenied` when the caller is missing or has signed out.
    """
    database = Database(settings.load().database_url)
    try:
        with database.session() as session:
            viewer, language = _viewer(session, caller)
        with i18n.use(language):
            yield database, viewer
    finally:
        database.dispose()
