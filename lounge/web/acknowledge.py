"""Acknowledging a notice with the signed link of a message, without signing in.

The link opens a page that names the notice and asks for the planned reduction; only the form's
POST records the acknowledgement (a mail scanner that opens links acknowledges nothing). A link
that was not signed by us, or names a notice that does not touch the customer, is a 404. The page
speaks the contact's language.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request

from db.models import Contact, utcnow
from lounge import access, i18n, labels
from lounge.demand import acknowledgements
from lounge.demand.links import ACK_PREFIX, SHORT_PREFIX
from lounge.demand.rules import NoticeRefused
from lounge.i18n import _
from lounge.notify import demand as messages
from lounge.web.context import db_session

blueprint = Blueprint("acknowledge", __name__, template_folder="templates")


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


@blueprint.route(f"{ACK_PREFIX}<token>", methods=["GET", "POST"])
@blueprint.route(f"{SHORT_PREFIX}<token>", methods=["GET", "POST"])
def acknowledge(token: str) -> Any:
    now = utcnow()
    error = None
    with db_session() as db:
        found = acknowledgements.by_link(db, _secret(), token, now)
        if found is None:
            abort(404)
        named, notice = found
        contact = db.get(Contact, named.contact_id) if named.contact_id else None
        i18n.activate(contact.language if contact else "he")
        if request.method == "POST":
            planned = request.form.get("planned_kw", "").strip()
            try:
                value: object = int(planned) if planned else None
            except ValueError:
                value = planned
            try:
                notice = acknowledgements.acknowledge_by_link(db, _secret(), token, value, now)
            except NoticeRefused as refused:
                error = str(refused)
            except access.AccessDenied:
                abort(404)
    return render_template(
        "acknowledge.html",
        _=_,
        language=i18n.current(),
        rtl=i18n.is_rtl(),
        title=labels.notice_title(notice.kind, notice.level, notice.reason),
        state=labels.label(labels.NOTICE_STATES, notice.state),
        window=messages.window(notice.starts_at, notice.ends_at),
        customer=notice.customer,
        sites=", ".join(notice.sites),
        can_acknowledge=notice.can_acknowledge,
        acknowledged_at=i18n.format_datetime(notice.acknowledged_at, "short")
        if notice.acknowledged_at
        else None,
        planned_kw=notice.planned_kw,
        error=error,
    )


def init_acknowledge(server: Flask) -> None:
    server.register_blueprint(blueprint)
