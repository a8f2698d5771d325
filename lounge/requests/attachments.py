"""Files attached to a request: PDF, PNG or JPEG, checked by their content, kept outside the web
root and handed out only to those who may see the request.

The type is read from the file's first bytes, never from its name or what the browser claims, so
a script named ``invoice.pdf`` is refused. Each file is stored under a random name in the
attachments folder (``instance/attachments`` unless configured), readable by the server's user
only; the download route asks :func:`read`, which checks the viewer like every other read.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from db.models import RequestAttachment, RequestState
from lounge import settings
from lounge.access import NotFound, Viewer
from lounge.i18n import _, format_number
from lounge.requests import workflow
from lounge.requests.workflow import RequestError

#: Leading bytes of each accepted type -> (MIME type, file extension).
SIGNATURES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}
#: What a file name keeps: letters of any script, digits, and a few signs.
_UNSAFE = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def content_type(data: bytes) -> str | None:
    """The MIME type the content itself shows, or None for anything not accepted."""
    for signature, (mimetype, _extension) in SIGNATURES.items():
        if data.startswith(signature):
            return mimetype
    return None


def safe_name(filename: str, mimetype: str) -> str:
    """The name shown and offered on download: no path, no control characters, the right ending."""
    stem = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name).strip(" ._") or "file"
    extension = next(ext for _sig, (mime, ext) in SIGNATURES.items() if mime == mimetype)
    if not stem.lower().endswith((extension, ".jpeg") if extension == ".jpg" else (extension,)):
        stem += extension
    return stem[-120:]


def add(
    session: Session,
    viewer: Viewer,
    request_id: object,
    filename: str,
    data: bytes,
    folder: Path,
    limit_bytes: int,
) -> RequestAttachment:
    """Attach ``data`` to a request the viewer may see (not a closed one)."""
    request = workflow.get_request(session, viewer, request_id)
    if request.state == RequestState.CLOSED:
        raise RequestError([_("The request is closed.")])
    if not data:
        raise RequestError([_("The file is empty.")])
    if len(data) > limit_bytes:
        raise RequestError(
            [
                _("The file is larger than {limit} MB.").format(
                    limit=format_number(limit_bytes / 1024 / 1024, 0)
                )
            ]
        )
    mimetype = content_type(data)
    if mimetype is None:
        raise RequestError([_("Only PDF, PNG and JPEG files can be attached.")])
    stored_as = secrets.token_hex(16)
    settings.create_private_file(folder / stored_as, data)
    _removed_on_rollback(session, folder / stored_as)
    name = safe_name(filename, mimetype)
    attachment = RequestAttachment(
        request_id=request.id,
        filename=name,
        content_type=mimetype,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored_as=stored_as,
        uploaded_by_id=viewer.user_id or None,
    )
    session.add(attachment)
    session.flush()
    return attachment


def _removed_on_rollback(session: Session, path: Path) -> None:
    """Delete the stored file if the upload's transaction rolls back.

    The file is written before its row commits (the row must not name a file that is not there);
    without this, a failure later in the same unit of work (a refused second file, a lost
    connection) left the first file behind with no row pointing at it, readable by nobody and
    never cleaned up.
    """
    committed = False

    def keep(_session: Session) -> None:
        nonlocal committed
        committed = True

    def remove(_session: Session) -> None:
        if not committed:
            path.unlink(missing_ok=True)

    event.listen(session, "after_commit", keep, once=True)
    event.listen(session, "after_rollback", remove, once=True)


def read(
    session: Session, viewer: Viewer, request_id: object, attachment_id: object, folder: Path
) -> tuple[bytes, str, str]:
    """(content, file name, MIME type) of an attachment of a request the viewer may see."""
    request = workflow.get_request(session, viewer, request_id)
    found = next((a for a in request.attachments if str(a.id) == str(attachment_id)), None)
    if found is None:
        raise NotFound(attachment_id)
    path = folder / found.stored_as
    if not path.is_file():
        raise NotFound(attachment_id)
    return path.read_bytes(), found.filename, found.content_type
