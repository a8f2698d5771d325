"""What only administrators do, each operation checking the viewer first.

The admin page calls these; a callback forged by any other role gets
:class:`lounge.access.AccessDenied` before anything is read or written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import AuditLog, Role, User
from lounge import access, assignment, audit, classification, i18n, ingest, settings, users
from lounge.access import Viewer
from lounge.classification import RunResult
from lounge.ingest.problems import ImportRejected
from lounge.ingest.summary import ImportSummary
from lounge.notify import assignment as assignment_notices
from lounge.notify import membership as membership_notices


def list_users(session: Session, viewer: Viewer) -> list[User]:
    access.require(viewer, Role.ADMIN)
    return users.list_users(session)


def add_user(
    session: Session,
    viewer: Viewer,
    *,
    email: str,
    role: str,
    password: str,
    customer_id: str | None,
    full_name: str,
    language: str,
) -> User:
    access.require(viewer, Role.ADMIN)
    return users.create_user(
        session,
        email=email,
        role=role,
        password=password,
        customer_id=customer_id or None,
        full_name=full_name,
        language=language,
        actor=viewer.email,
    )


def import_upload(
    session: Session, viewer: Viewer, kind: str, data: bytes, filename: str
) -> ImportSummary:
    access.require(viewer, Role.ADMIN)
    if kind not in ingest.IMPORTERS:
        raise access.AccessDenied(f"unknown import kind {kind!r}")
    return ingest.import_file(session, kind, data, filename, viewer.email)


def record_rejected_import(
    session: Session, viewer: Viewer, kind: str, filename: str, rejected: ImportRejected
) -> None:
    """Note a refused file in the audit log.

    The import rolled back, audit entry and all, so the caller writes this in a
    unit of work of its own. The reason is kept in English, as the rest of the log.
    """
    access.require(viewer, Role.ADMIN)
    with i18n.use("en"):
        reason = str(rejected.errors[0]) if rejected.errors else rejected.summary()
    audit.record(
        session,
        viewer.email,
        f"import.{kind}.rejected",
        filename,
        problems=len(rejected.errors),
        reason=reason,
    )


def run_classification(session: Session, viewer: Viewer, as_of: dt.date) -> RunResult:
    access.require(viewer, Role.ADMIN)
    result = classification.classify(session, as_of, viewer.email)
    base_url = settings.load().public_url
    # before the welcome, so that it names the manager just chosen
    made = assignment.assign_unserved_members(session, viewer.email)
    assignment_notices.announce(session, made, base_url)
    membership_notices.announce(session, result.run.id, base_url)
    audit.record(
        session,
        viewer.email,
        "classification.run",
        as_of.isoformat(),
        members=result.run.members,
        entered=result.entered,
        exited=result.exited,
        replayed=[day.isoformat() for day in result.replayed],
        assigned=len(made),
    )
    return result


def reassign_manager(
    session: Session, viewer: Viewer, customer_id: object, manager_id: object
) -> assignment.Assigned:
    """Give a customer another account manager; the customer and the manager are told."""
    made = assignment.reassign(session, viewer, customer_id, manager_id)
    assignment_notices.announce(session, [made], settings.load().public_url)
    audit.record(
        session,
        viewer.email,
        "customer.reassigned",
        made.customer.id,
        manager=made.manager.email,
        previous=made.previous.email if made.previous else None,
    )
    return made


def audit_log(session: Session, viewer: Viewer, limit: int = 200) -> list[AuditLog]:
    access.require(viewer, Role.ADMIN)
    return audit.recent(session, limit)
