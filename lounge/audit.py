"""The audit log: who did what, when. Written in the same transaction as the deed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog


def record(
    session: Session, actor: str, action: str, target: str | None = None, **details: Any
) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target, details=details or None))


def recent(session: Session, limit: int = 200) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
        )
    )
