"""What staff read of the surveys: figures per manager and month, the answers with their
comments, and the low scores waiting for a follow-up.

An account manager reads the surveys of the portfolio, an administrator everyone's, side by side
per manager (the manager who served when the survey was sent, so that results stay with whom
they judge after a reassignment). A month is the month of the answer, in Israel time. A score of
1 or 2 waits on the manager's week until someone records the follow-up (once; again is a no-op).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from db.models import Customer, Survey, User, utcnow
from lounge import access, i18n, localtime
from lounge.access import NotFound, Viewer
from lounge.i18n import _
from lounge.surveys import invitations
from reports.documents import ReportColumn, ReportDocument, ReportSection

#: Who reads the results and follows low scores up: managers (their portfolio) and admins.
ROLES = access.PORTFOLIO_ROLES
#: Scores at or below this open a follow-up on the manager's week.
LOW = 2


@dataclass(frozen=True)
class Month:
    """One manager's answers in one month."""

    manager: str
    month: dt.date
    answers: int
    average: float
    low: int


@dataclass(frozen=True)
class Answer:
    survey_id: int
    customer_id: str
    customer: str
    manager: str
    about: str
    score: int
    comment: str
    answered_at: dt.datetime
    follow_up_at: dt.datetime | None
    follow_up_by: str | None

    @property
    def needs_follow_up(self) -> bool:
        return self.score <= LOW and self.follow_up_at is None


def answers(session: Session, viewer: Viewer, since: dt.date | None = None) -> list[Answer]:
    """The answered surveys of the customers the viewer serves, newest first."""
    access.require(viewer, *ROLES)
    manager = aliased(User)
    query = access.restrict(
        select(Survey, Customer.name, manager)
        .join(Customer, Customer.id == Survey.customer_id)
        .outerjoin(manager, manager.id == Survey.manager_id)
        .where(Survey.answered_at.is_not(None)),
        viewer,
    ).order_by(Survey.answered_at.desc(), Survey.id.desc())
    if since is not None:
        query = query.where(
            Survey.answered_at >= dt.datetime.combine(since, dt.time(), localtime.TIMEZONE)
        )
    return [
        Answer(
            survey.id,
            survey.customer_id,
            name,
            (served.full_name or served.email) if served else _("No manager"),
            invitations.about(session, survey),
            survey.score or 0,
            survey.comment,
            survey.answered_at,
            survey.follow_up_at,
            survey.follow_up_by,
        )
        for survey, name, served in session.execute(query).all()
        if survey.answered_at is not None
    ]


def by_month(found: list[Answer]) -> list[Month]:
    """``found`` per manager and month of the answer: count, average score and low scores;
    by manager's name, then oldest month first."""
    groups: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
    for item in found:
        month = localtime.first_of_month(localtime.local_day(item.answered_at))
        groups[(item.manager, month)].append(item.score)
    return [
        Month(
            manager,
            month,
            len(scores),
            round(sum(scores) / len(scores), 2),
            sum(score <= LOW for score in scores),
        )
        for (manager, month), scores in sorted(
            groups.items(), key=lambda pair: (i18n.sort_key(pair[0][0]), pair[0][1])
        )
    ]


def low_scores(session: Session, viewer: Viewer) -> list[Answer]:
    """Scores of 1 or 2 not followed up yet, oldest first (the longest waiting lead)."""
    return sorted(
        (item for item in answers(session, viewer) if item.needs_follow_up),
        key=lambda item: item.answered_at,
    )


def follow_up(
    session: Session, viewer: Viewer, survey_id: object, now: dt.datetime | None = None
) -> Survey:
    """Record that the viewer followed a low score up (a survey of a customer they serve)."""
    access.require(viewer, *ROLES)
    try:
        wanted = int(str(survey_id))
    except ValueError:
        raise NotFound(survey_id) from None
    survey = session.scalars(
        access.restrict(select(Survey), viewer).where(
            Survey.id == wanted, Survey.score.is_not(None), Survey.score <= LOW
        )
    ).one_or_none()
    if survey is None:
        raise NotFound(survey_id)
    if survey.follow_up_at is None:
        author = session.get(User, viewer.user_id)
        survey.follow_up_at = now or utcnow()
        survey.follow_up_by_id = author.id if author else None
        survey.follow_up_by = (author.full_name or author.email) if author else viewer.email
        session.flush()
    return survey


def document(session: Session, viewer: Viewer, language: str) -> ReportDocument:
    """The results (per manager and month) and the answers, for CSV, XLSX and PDF."""
    found = answers(session, viewer)
    with i18n.use(language):
        months = ReportSection(
            title=_("Results per manager and month"),
            columns=(
                ReportColumn("manager", _("Account manager")),
                ReportColumn("month", _("Month"), "month"),
                ReportColumn("answers", _("Answers"), "number"),
                ReportColumn("average", _("Average score"), "text"),
                ReportColumn("low", _("Scores of 1 or 2"), "number"),
            ),
            rows=tuple(
                {
                    "manager": m.manager,
                    "month": m.month,
                    "answers": m.answers,
                    "average": i18n.format_number(m.average, 2),
                    "low": m.low,
                }
                for m in by_month(found)
            ),
        )
        listed = ReportSection(
            title=_("Answers"),
            columns=(
                ReportColumn("answered", _("Answered"), "date"),
                ReportColumn("customer", _("Customer")),
                ReportColumn("manager", _("Account manager")),
                ReportColumn("about", _("About")),
                ReportColumn("score", _("Score"), "number"),
                ReportColumn("comment", _("Comment")),
                ReportColumn("follow_up", _("Followed up")),
            ),
            rows=tuple(
                {
                    "answered": localtime.local_day(a.answered_at),
                    "customer": a.customer,
                    "manager": a.manager,
                    "about": a.about,
                    "score": a.score,
                    "comment": a.comment,
                    "follow_up": follow_up_text(a),
                }
                for a in found
            ),
        )
        return ReportDocument(
            language=i18n.current(),
            kind="surveys",
            title=_("Satisfaction surveys"),
            subtitle=i18n.format_date(localtime.today()),
            generated_at=utcnow(),
            sections=(months, listed),
        )


def follow_up_text(answer: Answer) -> str:
    """ "Dana Levi, 3 May 2026", "waiting", or nothing for a score that needs none."""
    if answer.follow_up_at is not None:
        day = i18n.format_date(localtime.local_day(answer.follow_up_at))
        return f"{answer.follow_up_by or ''}, {day}"
    return _("Waiting") if answer.score <= LOW else ""
