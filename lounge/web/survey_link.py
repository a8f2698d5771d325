"""Answering a survey with the signed link of a message, without signing in.

The link opens a page that names what the survey is about and asks for the score and a comment;
only the form's POST records the answer (a mail scanner that opens links answers nothing). A link
that was not signed by us, or names no survey, is a 404; one of a closed survey shows that it is
closed and records nothing. The page speaks the recipient's language, right to left in Hebrew,
and fits a phone.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request

from db.models import utcnow
from lounge import access, i18n, localtime
from lounge.i18n import _
from lounge.surveys import answers, invitations
from lounge.surveys.answers import SurveyRefused
from lounge.web.context import db_session

blueprint = Blueprint("survey_link", __name__, template_folder="templates")


@blueprint.route(f"{invitations.SURVEY_PREFIX}<token>", methods=["GET", "POST"])
def survey(token: str) -> Any:
    now = utcnow()
    error = None
    secret = str(current_app.config["SECRET_KEY"])
    with db_session() as db:
        found = answers.by_link(db, secret, token)
        if found is None:
            abort(404)
        i18n.activate(answers.language_by_link(db, found))
        score = request.form.get("score", "")
        comment = request.form.get("comment", "")
        if request.method == "POST":
            try:
                shown = answers.answer_by_link(db, secret, token, score, comment, now)
            except SurveyRefused as refused:
                error = str(refused)
                shown = answers.shown_by_link(db, found, now)
            except access.AccessDenied:
                abort(404)
        else:
            shown = answers.shown_by_link(db, found, now)
    answered = (
        _("Answered on {day}: {score} of 5. Thank you!").format(
            day=i18n.format_date(localtime.local_day(shown.answered_at)), score=shown.score
        )
        if shown.answered_at
        else None
    )
    closed = (
        _("This survey closed on {day}.").format(
            day=i18n.format_date(localtime.local_day(shown.closes_at))
        )
        if not shown.is_open and shown.answered_at is None
        else None
    )
    return render_template(
        "survey.html",
        _=_,
        language=i18n.current(),
        rtl=i18n.is_rtl(),
        title=_("How did we do?"),
        about=shown.about,
        customer=shown.customer,
        can_answer=shown.is_open,
        answered=answered,
        comment=shown.comment,
        closed=closed,
        error=error,
        score=score,
        typed=comment,
        scores=answers.SCORES,
        comment_max=answers.COMMENT_MAX,
    )


def init_survey_link(server: Flask) -> None:
    server.register_blueprint(blueprint)
