"""People who sign in: creation, passwords, lockout, preferences, portfolios."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.models import Customer, ManagerAssignment, Role, User, utcnow
from lounge import audit
from lounge.i18n import _
from lounge.settings import LANGUAGES

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: Checked against when the e-mail is unknown, so both cases take as long.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16), method="scrypt")


class UserError(ValueError):
    """A request about users that cannot be carried out; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()


def create_user(
    session: Session,
    *,
    email: str,
    role: str,
    password: str,
    customer_id: str | None = None,
    full_name: str = "",
    language: str = "en",
    actor: str,
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserError(_("'{email}' is not an e-mail address").format(email=email))
    if role not in {r.value for r in Role}:
        raise UserError(
            _("role '{role}' is not one of: {roles}").format(
                role=role, roles=", ".join(r.value for r in Role)
            )
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            _("the password must have at least {count} characters").format(
                count=MIN_PASSWORD_LENGTH
            )
        )
    if role == Role.CLIENT:
        if not customer_id:
            raise UserError(_("a client user needs --customer"))
        if session.get(Customer, customer_id) is None:
            raise UserError(_("unknown customer '{value}'").format(value=customer_id))
    elif customer_id:
        raise UserError(_("only client users belong to a customer"))
    if language not in LANGUAGES:
        raise UserError(
            _("language '{value}' is not one of: {allowed}").format(
                value=language, allowed=", ".join(LANGUAGES)
            )
        )
    if find_by_email(session, email) is not None:
        raise UserError(_("a user with e-mail {email} already exists").format(email=email))
    user = User(
        email=email,
        full_name=full_name,
        role=role,
        customer_id=customer_id,
        language=language,
        password_hash=hash_password(password),
        session_token=secrets.token_hex(16),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", email, role=role, customer_id=customer_id)
    return user


def authenticate(
    session: Session, email: str, password: str, max_failures: int, lockout: dt.timedelta
) -> User | None:
    """The user if the credentials are right and the account is open, else None.

    After ``max_failures`` wrong passwords in a row the account is locked for
    ``lockout``; while locked even the right password is refused. The caller
    shows one generic message whatever the reason.
    """
    user = find_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        # what was typed may be a password typed in the wrong box: keep it only if it
        # looks like an e-mail address
        typed = email.strip().lower()
        audit.record(session, typed if _EMAIL.match(typed) else "?", "login.unknown_user")
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, user.email, "login.locked")
        return None
    if not user.is_active or not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
            audit.record(session, user.email, "login.lockout", until=user.locked_until.isoformat())
        else:
            audit.record(session, user.email, "login.failed", failures=user.failed_logins)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, user.email, "login.ok")
    return user


def end_sessions(user: User) -> None:
    """Invalidate every login cookie of the user (sign-out, password change)."""
    user.session_token = secrets.token_hex(16)


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise UserError(language)
    user.language = language


def assign_manager(
    session: Session, manager_email: str, customer_ids: list[str], actor: str
) -> int:
    manager = find_by_email(session, manager_email)
    if manager is None or manager.role != Role.ACCOUNT_MANAGER:
        raise UserError(_("{email} is not an account manager").format(email=manager_email))
    known = set(session.scalars(select(Customer.id).where(Customer.id.in_(customer_ids))))
    missing = [c for c in customer_ids if c not in known]
    if missing:
        raise UserError(_("unknown customer '{value}'").format(value=", ".join(missing)))
    session.execute(
        delete(ManagerAssignment).where(ManagerAssignment.customer_id.in_(customer_ids))
    )
    session.add_all(ManagerAssignment(customer_id=c, manager_id=manager.id) for c in customer_ids)
    audit.record(session, actor, "portfolio.assign", manager.email, customers=customer_ids)
    return len(customer_ids)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0
