"""Point 17: repeated failed sign-ins are slowed down, never locked, and cost the same.

Growing waits per address and per account-from-an-address, kept in the database
(every server worker sees them); a throttled attempt gets 429 and Retry-After; a
stranger cannot keep the owner out; right passwords do not use up the rate
limit; administrators see one audit entry per burst.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid

import pytest
from sqlalchemy import select, update

from db.models import AuditLog, SignInThrottle, User
from db.session import Database
from lounge import signin, users
from tests.web_fixtures import PASSWORD, csrf_from

OWNER = "client@a.test"
STRANGER = {"REMOTE_ADDR": "203.0.113.9"}
T0 = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
POLICY = signin.Policy(free_failures=3, max_delay=dt.timedelta(seconds=10))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits are seconds long; a slow test run must not see them run out."""
    from lounge.web import auth

    monkeypatch.setattr(auth, "utcnow", lambda: T0)


def _app(db: Database, **settings: object):
    from app import create_app

    config = {"database_url": db.url, "login_rate_limit": "1000 per minute"}
    config |= {"login_free_failures": 3, "login_max_delay_seconds": 10} | settings
    return create_app(config)


def _attempt(app, email: str, password: str, environ: dict[str, str] | None = None):
    client = app.server.test_client()
    client.environ_base.update(environ or {})
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def _let_the_waits_pass(db: Database) -> None:
    with db.session() as session:
        session.execute(update(SignInThrottle).values(wait_until=None))


def test_waits_double_after_the_free_failures_up_to_the_maximum():
    delays = [POLICY.delay(n).total_seconds() for n in range(1, 11)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 10, 10, 10]


def test_after_the_free_failures_the_next_attempt_waits_even_with_the_right_password(db, world):
    app = _app(db)
    assert [_attempt(app, OWNER, "wrong").status_code for _ in range(4)] == [401] * 4
    throttled = _attempt(app, OWNER, PASSWORD)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert "Please wait 1 seconds" in throttled.get_data(as_text=True)
    _let_the_waits_pass(db)
    assert _attempt(app, OWNER, PASSWORD).status_code == 302


def test_a_stranger_cannot_keep_the_owner_out(db, world):
    app = _app(db)
    for _ in range(20):
        assert _attempt(app, OWNER, "guess", STRANGER).status_code in (401, 429)
    assert _attempt(app, OWNER, PASSWORD, STRANGER).status_code == 429
    assert _attempt(app, OWNER, PASSWORD).status_code == 302  # the owner, from their address
    with db.session() as session:
        assert session.scalars(select(User.last_login_at).where(User.email == OWNER)).one()


def test_one_address_guessing_at_many_accounts_is_slowed_down(db, world):
    app = _app(db)
    emails = ["a@a.test", "b@a.test", "c@a.test", "d@a.test"]
    assert [_attempt(app, e, "guess", STRANGER).status_code for e in emails] == [401] * 4
    assert _attempt(app, "manager@a.test", "guess", STRANGER).status_code == 429


def test_the_waits_hold_across_server_workers(db, world):
    """Two apps on one database stand for two gunicorn workers."""
    first, second = _app(db), _app(db)
    for _ in range(4):
        _attempt(first, OWNER, "wrong")
    assert _attempt(second, OWNER, PASSWORD).status_code == 429


def test_every_refusal_checks_a_password_so_none_answers_faster(db, world, monkeypatch):
    checks: list[str] = []
    real = users.check_password_hash

    def counted(pwhash: str, password: str) -> bool:
        checks.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", counted)
    app = _app(db, login_free_failures=0)
    with db.session() as session:
        session.execute(update(User).where(User.email == "demand@a.test").values(is_active=False))
    cases = [
        ("nobody@a.test", "unknown e-mail", None),
        ("demand@a.test", PASSWORD, {"REMOTE_ADDR": "198.51.100.1"}),  # inactive account
        (OWNER, "wrong password", {"REMOTE_ADDR": "198.51.100.2"}),
        (OWNER, "throttled", {"REMOTE_ADDR": "198.51.100.2"}),
    ]
    statuses = []
    for email, password, environ in cases:
        before = len(checks)
        statuses.append(_attempt(app, email, password, environ).status_code)
        assert checks[before:] == [password]
    assert statuses == [401, 401, 401, 429]


def test_right_passwords_do_not_use_up_the_rate_limit(db, world):
    app = _app(db, login_rate_limit="3 per minute")
    assert [_attempt(app, OWNER, PASSWORD).status_code for _ in range(5)] == [302] * 5
    refused = [_attempt(app, f"x{n}@a.test", "guess").status_code for n in range(3)]
    assert refused == [401, 401, 401]
    limited = _attempt(app, OWNER, PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


@pytest.mark.parametrize("failures", [3, 4, 12])
def test_a_burst_of_failures_is_one_audit_entry(session, failures):
    attempt = signin.keys("Client@A.test", "203.0.113.9")
    for n in range(failures):
        signin.failed(session, attempt, POLICY, T0 + dt.timedelta(seconds=n), "client@a.test")
    bursts = session.scalars(select(AuditLog).where(AuditLog.action == "login.burst")).all()
    assert len(bursts) == (failures > POLICY.free_failures)
    if bursts:
        assert bursts[0].actor == "client@a.test"
        assert bursts[0].details["keys"] == list(attempt)
    # quiet for long enough, the keys are forgotten: the next burst is a new entry
    later = T0 + signin.QUIET + dt.timedelta(minutes=1)
    for n in range(failures):
        signin.failed(session, attempt, POLICY, later + dt.timedelta(seconds=n), "client@a.test")
    count = len(session.scalars(select(AuditLog).where(AuditLog.action == "login.burst")).all())
    assert count == 2 * (failures > POLICY.free_failures)
    last = later + dt.timedelta(seconds=failures - 1)
    assert signin.wait(session, attempt, last) == POLICY.delay(failures)


def test_with_redis_configured_every_worker_counts_the_same_rate_limit(db, world):
    """Point 16: two apps stand for two gunicorn workers sharing Redis."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    shared = {"ratelimit_storage_url": "redis://127.0.0.1:6379", "login_rate_limit": "2 per hour"}
    first, second = _app(db, **shared), _app(db, **shared)
    # an address of its own: parallel test runs share this Redis
    address = {"REMOTE_ADDR": str(ipaddress.IPv6Address(uuid.uuid4().int))}
    assert _attempt(first, "x@a.test", "guess", address).status_code == 401
    assert _attempt(second, "y@a.test", "guess", address).status_code == 401
    assert _attempt(first, "z@a.test", "guess", address).status_code == 429
