"""One place for configuration.

Every knob is an environment variable named ``LOUNGE_*`` so that the same code
runs on a laptop (SQLite under ``instance/``), in CI and on a server
(PostgreSQL, Redis) without edits. Values are read when :func:`load` is called,
not at import time, so tests can set the environment first.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

#: Business time zone: windows, due dates and every date shown are local to it.
TIMEZONE = ZoneInfo("Asia/Jerusalem")
CURRENCY = "ILS"
LANGUAGES = ("en", "he")
#: Languages a customer or contact may prefer; the UI falls back to English
#: for a language that has no catalog yet.
KNOWN_LANGUAGES = ("en", "he", "ar")
RTL_LANGUAGES = frozenset({"he", "ar"})


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    host: str
    port: int
    #: flask-limiter storage; ``memory://`` per process, ``redis://...`` shared.
    ratelimit_storage_url: str
    #: Sign-in failures per client address (a flood cap; right passwords do not count).
    login_rate_limit: str
    #: Failed sign-ins of an address or account before each further one must wait.
    login_free_failures: int
    #: The longest wait between failed sign-ins (it doubles up to this).
    login_max_delay_seconds: int
    #: gunicorn: worker processes per core, threads per worker, request timeout.
    workers_per_core: int
    threads: int
    timeout_seconds: int
    #: A session unused this long ends (the absolute limit is in app.py).
    idle_timeout_minutes: int
    #: Force the Secure flag on cookies even when a proxy hides HTTPS.
    secure_cookies: bool
    #: Served behind one reverse proxy whose X-Forwarded-* headers are to be believed.
    trust_proxy: bool

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _secret_key() -> str:
    """A stable secret: from the environment, else one generated once per instance."""
    if key := os.environ.get("LOUNGE_SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE / 'lounge.db'}"


def load() -> Settings:
    env = os.environ.get
    return Settings(
        database_url=env("LOUNGE_DATABASE_URL") or default_database_url(),
        secret_key=_secret_key(),
        host=env("LOUNGE_HOST", "127.0.0.1"),
        port=int(env("LOUNGE_PORT", "8050")),
        ratelimit_storage_url=env("LOUNGE_RATELIMIT_STORAGE_URL", "memory://"),
        login_rate_limit=env("LOUNGE_LOGIN_RATE_LIMIT", "10 per minute"),
        login_free_failures=int(env("LOUNGE_LOGIN_FREE_FAILURES", "5")),
        login_max_delay_seconds=int(env("LOUNGE_LOGIN_MAX_DELAY_SECONDS", "60")),
        workers_per_core=int(env("LOUNGE_WORKERS_PER_CORE", "2")),
        threads=int(env("LOUNGE_THREADS", "4")),
        timeout_seconds=int(env("LOUNGE_TIMEOUT_SECONDS", "60")),
        idle_timeout_minutes=int(env("LOUNGE_IDLE_TIMEOUT_MINUTES", "30")),
        secure_cookies=env("LOUNGE_SECURE_COOKIES", "") == "1",
        trust_proxy=env("LOUNGE_TRUST_PROXY", "") == "1",
    )
