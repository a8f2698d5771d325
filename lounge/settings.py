"""One place for configuration.

Every knob is an environment variable named ``LOUNGE_*`` so that the same code
runs on a laptop (SQLite under ``instance/``), in CI and on a server
(PostgreSQL, Redis) without edits. Values are read when :func:`load` is called,
not at import time, so tests can set the environment first.
"""

from __future__ import annotations

import hmac
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
#: Regions a site may be in unless ``LOUNGE_REGIONS`` (comma-separated) names others.
DEFAULT_REGIONS = ("North", "Haifa", "Center", "Tel Aviv", "Jerusalem", "South")


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
    #: The largest file an administrator may upload, in MiB: the browser refuses bigger
    #: files before sending them and the server refuses bigger requests.
    max_upload_mb: int
    #: Where background jobs (imports, classification) run: empty for a local process
    #: per job with results under ``instance/jobs``; a Redis URL for Celery workers.
    celery_broker_url: str
    #: The regions imported sites must be in.
    regions: tuple[str, ...]
    #: The lounge's address as recipients reach it: links in e-mails, texts and letters.
    public_url: str
    #: Outgoing mail. Without a host, mail goes to the local sandbox server on ``smtp_port``,
    #: which keeps each message under ``sandbox_dir / "mail"``.
    smtp_host: str | None
    smtp_port: int
    smtp_starttls: bool
    smtp_user: str | None
    smtp_password: str | None
    mail_from: str
    #: A real SMS gateway (HTTP, bearer token); without one, texts go to the sandbox.
    sms_gateway_url: str | None
    sms_gateway_token: str | None
    #: Where the SMS sandbox keeps texts (and the local mail server mail).
    sandbox_dir: Path
    #: How often an idle worker looks for due messages, and how long its claim lasts.
    notify_poll_seconds: float
    notify_lease_seconds: int
    #: SMTP connections a worker sends over at once.
    notify_connections: int
    #: The secret an SMS gateway signs its delivery reports with (HMAC-SHA256); without one, a
    #: secret derived from ``secret_key``, which the local sandbox gateway shares.
    sms_report_secret: str | None
    #: Files attached to requests: kept here (outside the web root), each at most this size.
    attachments_dir: Path = INSTANCE / "attachments"
    attachment_max_mb: int = 10
    #: The OpenADR 2.0b VTN (``python -m lounge vtn``): its id, address, and its TLS
    #: certificate and key (which also sign its messages) and the CA that VENs' client
    #: certificates must be signed by. Without the three files the VTN does not start.
    vtn_id: str = "LOUNGE-VTN"
    vtn_host: str = "127.0.0.1"
    vtn_port: int = 8443
    vtn_cert: Path | None = None
    vtn_key: Path | None = None
    vtn_ca_file: Path | None = None
    #: How often VENs are asked to poll, in seconds.
    vtn_poll_seconds: int = 10

    @property
    def sms_report_key(self) -> str:
        return (
            self.sms_report_secret
            or hmac.new(self.secret_key.encode(), b"sms delivery reports", "sha256").hexdigest()
        )

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_request_bytes(self) -> int:
        """The largest request: an upload travels base64-encoded (4/3 of its size) in JSON."""
        return self.max_upload_bytes * 4 // 3 + 1024 * 1024

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def private_folder(path: Path) -> None:
    """Create ``path`` (and its parents) readable by its owner only, if missing.

    It holds the secret key and the SQLite database: nobody else on the machine
    may list, read or replace them.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def create_private_file(path: Path, content: bytes = b"") -> bool:
    """Create ``path`` as 0600 with ``content``; False when it exists already.

    ``O_EXCL`` with the mode given to ``open`` itself: the file is never, even for
    a moment, readable by others (as ``write`` then ``chmod`` left it), and two
    processes starting at once cannot both write it.
    """
    private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    return True


def _secret_key() -> str:
    """A stable secret: from the environment, else one generated once per instance."""
    if key := os.environ.get("LOUNGE_SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    create_private_file(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE / 'lounge.db'}"


def configured_regions() -> tuple[str, ...]:
    """``LOUNGE_REGIONS`` as a tuple, or :data:`DEFAULT_REGIONS` when it is unset or empty."""
    names = [name.strip() for name in os.environ.get("LOUNGE_REGIONS", "").split(",")]
    return tuple(name for name in names if name) or DEFAULT_REGIONS


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
        public_url=env("LOUNGE_PUBLIC_URL")
        or f"http://{env('LOUNGE_HOST', '127.0.0.1')}:{env('LOUNGE_PORT', '8050')}",
        smtp_host=env("LOUNGE_SMTP_HOST") or None,
        smtp_port=int(env("LOUNGE_SMTP_PORT", "8025")),
        smtp_starttls=env("LOUNGE_SMTP_STARTTLS", "") == "1",
        smtp_user=env("LOUNGE_SMTP_USER") or None,
        smtp_password=env("LOUNGE_SMTP_PASSWORD") or None,
        mail_from=env("LOUNGE_MAIL_FROM", "lounge@lounge-electric.example"),
        sms_gateway_url=env("LOUNGE_SMS_GATEWAY_URL") or None,
        sms_gateway_token=env("LOUNGE_SMS_GATEWAY_TOKEN") or None,
        sandbox_dir=Path(env("LOUNGE_SANDBOX_DIR") or INSTANCE / "sandbox"),
        notify_poll_seconds=float(env("LOUNGE_NOTIFY_POLL_SECONDS", "5")),
        notify_lease_seconds=int(env("LOUNGE_NOTIFY_LEASE_SECONDS", "120")),
        notify_connections=max(int(env("LOUNGE_NOTIFY_CONNECTIONS", "4")), 1),
        sms_report_secret=env("LOUNGE_SMS_REPORT_SECRET") or None,
        max_upload_mb=int(env("LOUNGE_MAX_UPLOAD_MB", "200")),
        celery_broker_url=env("LOUNGE_CELERY_BROKER_URL", ""),
        regions=configured_regions(),
        attachments_dir=Path(env("LOUNGE_ATTACHMENTS_DIR") or INSTANCE / "attachments"),
        attachment_max_mb=int(env("LOUNGE_ATTACHMENT_MAX_MB", "10")),
        vtn_id=env("LOUNGE_VTN_ID", "LOUNGE-VTN"),
        vtn_host=env("LOUNGE_VTN_HOST", "127.0.0.1"),
        vtn_port=int(env("LOUNGE_VTN_PORT", "8443")),
        vtn_cert=_path(env("LOUNGE_VTN_CERT")),
        vtn_key=_path(env("LOUNGE_VTN_KEY")),
        vtn_ca_file=_path(env("LOUNGE_VTN_CA_FILE")),
        vtn_poll_seconds=int(env("LOUNGE_VTN_POLL_SECONDS", "10")),
    )


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None
