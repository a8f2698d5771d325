"""Demo satisfaction surveys: a year of answers per manager, high and low, some unanswered, low
scores followed up except the recent ones, and one low score of the demo client's chain waiting
on manager@demo.lounge's week.

Invitations are written by :mod:`lounge.surveys.invitations` itself, as the lounge does after a
meeting held (the demo's held meetings, dated the day after) and a request closed
(the demo requests already closed through the workflow invited theirs). Their messages count as
sent back then. The demo client's own survey of its closed request stays unanswered, so that it
finds one waiting in the lounge.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import (
    Channel,
    Customer,
    Delivery,
    Meeting,
    MeetingState,
    Notification,
    Survey,
    SurveySubject,
    User,
)
from lounge import settings
from lounge.surveys import invitations

#: Scores drawn for the demo's answers (most customers are content) and the share answered.
SCORES, WEIGHTS = (1, 2, 3, 4, 5), (0.05, 0.07, 0.18, 0.35, 0.35)
ANSWERED = 0.7
#: Low scores older than this are followed up by their manager.
FOLLOWED_AFTER = dt.timedelta(days=10)
COMMENTS = {
    "en": {
        "low": ("It took three reminders to get an answer.", "The minutes never reached us."),
        "mid": ("Fine, but we expected the tariff offer sooner.", ""),
        "high": ("Clear and well prepared, thank you.", "Quick and to the point.", ""),
    },
    "he": {
        "low": ("נדרשו שלוש תזכורות עד שקיבלנו תשובה.", "הסיכום של הפגישה לא הגיע אלינו."),
        "mid": ("בסדר, אבל ציפינו להצעת התעריף מוקדם יותר.", ""),
        "high": ("מסודר ומוכן היטב, תודה.", "מהיר וענייני.", ""),
    },
}
#: The chain's waiting complaint, in its language (the demo client's chain is Hebrew).
CHAIN_COMPLAINT = "החלפת המונה לקחה שלושה שבועות, ואף אחד לא עדכן אותנו בדרך."


def _comment(rng: np.random.Generator, language: str, score: int) -> str:
    tone = "low" if score <= 2 else "mid" if score == 3 else "high"
    return str(rng.choice(COMMENTS["he" if language == "he" else "en"][tone]))


def write(session: Session, rng: np.random.Generator, today: dt.date, chain: str) -> None:
    """Invite to every held meeting, answer most, follow the old lows up."""
    now = dt.datetime.now(dt.UTC)
    base = settings.load().public_url
    held = session.scalars(
        select(Meeting).where(Meeting.state == MeetingState.HELD).order_by(Meeting.starts_at)
    ).all()
    for meeting in held:
        invitations.after_meeting(
            session, meeting, base, min(meeting.starts_at + dt.timedelta(days=1), now)
        )
    languages = dict(session.execute(select(Customer.id, Customer.language)).all())
    chain_request = session.scalars(
        select(Survey)
        .where(
            Survey.customer_id == chain,
            Survey.subject == SurveySubject.REQUEST,
            Survey.contact_id.is_not(None),
        )
        .order_by(Survey.id)
        .limit(1)
    ).one_or_none()
    for survey in session.scalars(select(Survey).order_by(Survey.id)).all():
        if survey.customer_id == chain and survey.subject == SurveySubject.REQUEST:
            continue  # the chain's request: its complaint below, its client's answer to give
        if rng.random() > ANSWERED:
            continue
        answered = min(survey.sent_at + dt.timedelta(hours=float(rng.uniform(2, 96))), now)
        score = int(rng.choice(SCORES, p=WEIGHTS))
        survey.score, survey.answered_at, survey.answered_via = score, answered, "link"
        survey.comment = _comment(rng, languages.get(survey.customer_id, "he"), score)
        if score <= 2 and now - answered > FOLLOWED_AFTER and survey.manager_id:
            manager = session.get(User, survey.manager_id)
            survey.follow_up_at = answered + dt.timedelta(days=2)
            survey.follow_up_by_id = survey.manager_id
            survey.follow_up_by = manager.full_name if manager else ""
    if chain_request is not None:
        chain_request.score, chain_request.comment = 2, CHAIN_COMPLAINT
        chain_request.answered_at = min(chain_request.sent_at + dt.timedelta(hours=5), now)
        chain_request.answered_via = "link"
    session.flush()
    _sent_back_then(session)


def _sent_back_then(session: Session) -> None:
    """The invitations went out when their survey was sent; the old in-app ones were read."""
    for survey_id, sent_at, answered in session.execute(
        select(Survey.id, Survey.sent_at, Survey.answered_at)
    ).all():
        for channel in (Channel.IN_APP, Channel.EMAIL, Channel.SMS, Channel.POST):
            session.execute(
                update(Notification)
                .where(
                    Notification.source == f"survey:{survey_id}",
                    Notification.channel == channel,
                    Notification.status == Delivery.QUEUED,
                )
                .values(
                    created_at=sent_at,
                    sent_at=sent_at,
                    status=Delivery.DELIVERED
                    if channel in (Channel.IN_APP, Channel.SMS)
                    else Delivery.SENT,
                    attempts=0 if channel == Channel.IN_APP else 1,
                    read_at=answered if channel == Channel.IN_APP else None,
                )
            )
