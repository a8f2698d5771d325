"""Calls from providers, not people: the SMS gateway's delivery reports.

No session and no sign-in: the gateway proves itself by signing each body with the secret the
two share (:mod:`lounge.notify.delivery`); an unsigned or badly signed call changes nothing and
learns nothing (not even whether the key exists). Answers are JSON a gateway's operator can read.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from lounge.notify import delivery
from lounge.web.context import db_session

blueprint = Blueprint("hooks", __name__)

PREFIX = "/hooks/"


@blueprint.post(delivery.PATH)
def sms_delivery() -> Any:
    body = request.get_data(cache=False)
    secret = current_app.config["LOUNGE_SETTINGS"].sms_report_key
    if not delivery.verify(secret, body, request.headers.get(delivery.HEADER)):
        return jsonify(error=f"missing or wrong {delivery.HEADER}"), 401
    try:
        report = delivery.parse(body)
        with db_session() as db:
            status = delivery.apply(db, report)
    except delivery.ReportRefused as refused:
        return jsonify(error=str(refused)), 400
    except delivery.UnknownMessage:
        return jsonify(error="no text message was sent with this key", key=report.key), 404
    return jsonify(key=report.key, status=status)


def init_hooks(server: Flask) -> None:
    server.register_blueprint(blueprint)
