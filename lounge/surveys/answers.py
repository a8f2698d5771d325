"""Answering a survey: in the lounge (signed in) or by the signed link of a message.

A survey is answered once, by the one it was sent to: a client user answers the surveys sent to
them in the lounge, a contact the one its link names. A second answer is refused, not taken as a
replacement: a score of 1 or 2 opens a follow-up for the manager, and an answer that could be
changed afterwards would let a complaint vanish under a follow-up already made (and the month's
figures move after they were read). The same answer sent twice (a double click, a form sent
again) is no second answer: it returns the survey as answered, with no error. The answer is one
conditional update (``answered_at IS NULL``), so two submits at once cannot both count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.orm import Session

from db.models import Contact, Customer, Role, Survey, User
from lounge import access, audit, i18n
from lounge.access import NotFound, Viewer
from lounge.i18n import _
from lounge.surveys import invitations

COMMENT_MAX = 2000
SCORES = (1, 2, 3, 4, 5)


class SurveyRefused(ValueError):
    """The answer cannot be taken (out of range, too long, answered, closed); says why."""


@dataclass(frozen=True)
class Shown:
    """A survey as the one it was sent to sees it."""

    survey_id: int
    about: str
    customer: str
    sent_at: dt.datetime
    closes_at: dt.datetime
    score: int | None
    comment: str
    answered_at: dt.datetime | None
    is_open: bool


def _shown(session: Session, survey: Survey, now: dt.datetime) -> Shown:
    customer = session.get(Customer, survey.customer_id)
    return Shown(
        survey.id,
        invitations.about(session, survey),
        customer.name if customer else survey.customer_id,
        survey.sent_at,
        invitations.closes_at(survey),
        survey.score,
        survey.comment,
        survey.answered_at,
        invitations.is_open(survey, now),
    )


def _own(viewer: Viewer) -> Select[Survey]:
    """The surveys sent to the viewer in the lounge: clients only, their customer's, theirs."""
    access.require(viewer, Role.CLIENT)
    return access.restrict(select(Survey), viewer).where(Survey.user_id == viewer.user_id)


def mine(session: Session, viewer: Viewer, now: dt.datetime) -> list[Shown]:
    """The surveys sent to the viewer: those waiting for an answer first, then the answered ones,
    newest first (closed unanswered ones are left out: nothing can be done with them)."""
    rows = session.scalars(_own(viewer).order_by(Survey.sent_at.desc(), Survey.id.desc())).all()
    shown = [_shown(session, s, now) for s in rows if s.answered_at or invitations.is_open(s, now)]
    return sorted(shown, key=lambda s: not s.is_open)


def awaiting(session: Session, viewer: Viewer, now: dt.datetime) -> list[Shown]:
    """The viewer's surveys still waiting for an answer (none for staff: nothing is sent them)."""
    if viewer.role is not Role.CLIENT:
        return []
    return [shown for shown in mine(session, viewer, now) if shown.is_open]


def _checked(score: object, comment: object) -> tuple[int, str]:
    try:
        value = int(str(score))
    except ValueError:
        value = 0
    if value not in SCORES or isinstance(score, bool):
        raise SurveyRefused(_("Choose a score from 1 to 5."))
    words = comment.strip() if isinstance(comment, str) else ""
    if len(words) > COMMENT_MAX:
        raise SurveyRefused(
            _("The comment is longer than {limit} characters.").format(limit=COMMENT_MAX)
        )
    return value, words


def _record(
    session: Session,
    survey: Survey,
    score: object,
    comment: object,
    via: str,
    actor: str,
    now: dt.datetime,
) -> Shown:
    value, words = _checked(score, comment)
    if survey.answered_at is None and not invitations.is_open(survey, now):
        raise SurveyRefused(
            _("This survey closed on {day}.").format(
                day=i18n.format_date(invitations.closes_at(survey).date())
            )
        )
    statement = (
        update(Survey)
        .where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(score=value, comment=words, answered_at=now, answered_via=via)
        .execution_options(synchronize_session=False)
    )
    taken = cast(CursorResult[Any], session.execute(statement)).rowcount
    session.refresh(survey)
    if not taken and (survey.score, survey.comment) != (value, words):
        assert survey.answered_at is not None
        raise SurveyRefused(
            _("This survey was answered on {day}; an answer cannot be changed.").format(
                day=i18n.format_date(survey.answered_at.date())
            )
        )
    if taken:
        audit.record(
            session,
            actor,
            "survey.answer",
            f"survey:{survey.id}",
            customer=survey.customer_id,
            score=value,
            via=via,
        )
    return _shown(session, survey, now)


def answer(
    session: Session,
    viewer: Viewer,
    survey_id: object,
    score: object,
    comment: object,
    now: dt.datetime,
) -> Shown:
    """The viewer's answer in the lounge to a survey sent to them."""
    try:
        wanted = int(str(survey_id))
    except ValueError:
        raise NotFound(survey_id) from None
    survey = session.scalars(_own(viewer).where(Survey.id == wanted)).one_or_none()
    if survey is None:
        raise NotFound(survey_id)
    return _record(session, survey, score, comment, "lounge", viewer.email, now)


def by_link(session: Session, secret: str, token: str) -> Survey | None:
    """The survey a signed link names (None for a forged token or one naming no survey)."""
    survey_id = invitations.read_link(secret, token)
    return session.get(Survey, survey_id) if survey_id is not None else None


def shown_by_link(session: Session, survey: Survey, now: dt.datetime) -> Shown:
    """The survey as its link's page shows it (the caller holds the survey by its link)."""
    return _shown(session, survey, now)


def language_by_link(session: Session, survey: Survey) -> str:
    """The language the link's page speaks: the recipient's."""
    person = (
        session.get(Contact, survey.contact_id)
        if survey.contact_id
        else session.get(User, survey.user_id)
        if survey.user_id
        else None
    )
    return person.language if person else "he"


def answer_by_link(
    session: Session, secret: str, token: str, score: object, comment: object, now: dt.datetime
) -> Shown:
    """Answer with the signed link of a message, without signing in."""
    survey = by_link(session, secret, token)
    if survey is None:
        raise NotFound(token)
    return _record(session, survey, score, comment, "link", survey.recipient, now)
