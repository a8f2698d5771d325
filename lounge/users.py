"""People who sign in: creation, passwords, preferences, portfolios."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.models import Customer, Role, User, utcnow
from lounge import assignment, audit
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


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the credentials are right and the account active, else None.

    Exactly one password check whatever the case (unknown e-mail, inactive
    account, wrong password), so that the answer takes as long. Slowing down
    repeated failures is :mod:`lounge.signin`'s job.
    """
    user = find_by_email(session, email)
    right = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not user.is_active or not right:
        return None
    user.last_login_at = utcnow()
    audit.record(session, user.email, "login.ok")
    return user


def spend_a_password_check(password: str) -> None:
    """The work of one password check, for an attempt refused without one (throttled)."""
    check_password_hash(_DUMMY_HASH, password)


def audit_name(typed: str) -> str:
    """What to record as the actor of a failed sign-in: what was typed may be a
    password typed in the wrong box, so keep it only if it looks like an e-mail."""
    typed = typed.strip().lower()
    return typed if _EMAIL.match(typed) else "?"


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
    assignment.assign_many(session, customer_ids, manager, actor)
    audit.record(session, actor, "portfolio.assign", manager.email, customers=customer_ids)
    return len(customer_ids)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0
