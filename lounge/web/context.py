"""What a request knows: the signed-in viewer, a database session, the CSRF token.

Pages and callbacks use these helpers and nothing else from Flask, so the one
place that decides who is asking is here and in ``auth``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, session
from flask_login import current_user
from sqlalchemy.orm import Session

from db.session import Database
from lounge.access import AccessDenied, Viewer

DATABASE_KEY = "lounge.database"


def database() -> Database:
    return current_app.extensions[DATABASE_KEY]


@contextmanager
def db_session() -> Iterator[Session]:
    """One unit of work for the current request (committed unless it raises)."""
    with database().session() as session_:
        yield session_


def upload_limit() -> int:
    """The largest file an administrator may upload, in bytes (the server refuses more)."""
    return current_app.config["LOUNGE_SETTINGS"].max_upload_bytes


def attachment_store() -> tuple[Path, int]:
    """Where request attachments are kept, and the largest one accepted in bytes."""
    config = current_app.config["LOUNGE_SETTINGS"]
    return config.attachments_dir, config.attachment_max_mb * 1024 * 1024


def public_url() -> str:
    """The lounge's address as recipients reach it (links in messages)."""
    return str(current_app.config["LOUNGE_SETTINGS"].public_url)


def viewer() -> Viewer:
    """The signed-in user as the access layer knows them; refuses anonymous calls."""
    if not current_user.is_authenticated:
        raise AccessDenied("not signed in")
    return current_user.viewer


def csrf_token() -> str:
    token = session.get("csrf_token")
    if not token:
        token = session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(candidate: str | None) -> bool:
    expected = session.get("csrf_token")
    return bool(expected and candidate and secrets.compare_digest(expected, candidate))
