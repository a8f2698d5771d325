"""Slowing down password guessing without letting anyone lock anyone out.

Every failed sign-in counts against two keys: the client address (one address
guessing at many accounts) and the account as tried from that address (one
account guessed at). After ``free_failures`` failures a key must wait before its
next attempt, twice as long after each further failure, never longer than
``max_delay``. The account key includes the address, so a stranger's failures
slow down the stranger and never the owner signing in from elsewhere; there is
no lock at all. A key is forgotten after :data:`QUIET` without failures, and a
right password clears its account key.

The counts live in the database (:class:`db.models.SignInThrottle`), so every
server worker sees them. An attempt made while a key must wait is refused
without looking at the password; the caller still spends the same password
check on it (:func:`lounge.users.spend_a_password_check`), so that no answer is
faster than another. Administrators see each burst once in the audit log: one
``login.burst`` entry when a key starts being slowed down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import SignInThrottle
from lounge import audit

#: Failures this long ago no longer count: the next one starts a new burst.
QUIET = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Policy:
    free_failures: int
    max_delay: dt.timedelta

    def delay(self, failures: int) -> dt.timedelta:
        """None for the free failures, then 1 s, 2 s, 4 s, ... up to ``max_delay``."""
        extra = failures - self.free_failures
        if extra <= 0:
            return dt.timedelta(0)
        return min(self.max_delay, dt.timedelta(seconds=2 ** min(extra - 1, 30)))


def keys(email: str, address: str) -> tuple[str, str]:
    """The address key and the account-from-that-address key of an attempt."""
    return f"address {address}", f"account {email.strip().lower()} from {address}"


def wait(session: Session, attempt: tuple[str, str], now: dt.datetime) -> dt.timedelta:
    """How long this attempt must still wait; zero when it may go ahead."""
    until = session.scalar(
        select(func.max(SignInThrottle.wait_until)).where(SignInThrottle.key.in_(attempt))
    )
    return max(until - now, dt.timedelta(0)) if until is not None else dt.timedelta(0)


def failed(
    session: Session, attempt: tuple[str, str], policy: Policy, now: dt.datetime, actor: str
) -> None:
    """Count a failed sign-in against both keys; audit the start of a burst."""
    _forget_quiet_keys(session, now)
    started = []
    for key in attempt:
        row = _locked_row(session, key, now)
        row.failures += 1
        row.last_failure_at = now
        delay = policy.delay(row.failures)
        row.wait_until = now + delay if delay else None
        if row.failures == policy.free_failures + 1:
            started.append(key)
    if started:
        audit.record(session, actor, "login.burst", keys=started, failures=policy.free_failures + 1)


def succeeded(session: Session, attempt: tuple[str, str]) -> None:
    """The right password clears the account's key (not the address's: one valid
    account must not buy an address fresh guesses at others)."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.key == attempt[1]))


def _forget_quiet_keys(session: Session, now: dt.datetime) -> None:
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < now - QUIET,
            or_(SignInThrottle.wait_until.is_(None), SignInThrottle.wait_until < now),
        )
    )


def _locked_row(session: Session, key: str, now: dt.datetime) -> SignInThrottle:
    """The key's row, created if missing, locked until commit (workers race for it)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(SignInThrottle)
        .values(key=key, failures=0, last_failure_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
