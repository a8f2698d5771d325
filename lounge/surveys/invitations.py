"""Inviting a customer's people to a satisfaction survey, and what a survey is about.

When a meeting is recorded as held or a request is closed, each of the customer's contacts gets
an invitation on the channels they chose for service messages (:func:`fanout.to_contact`), with a
signed link that answers without signing in, and each of its users finds one in the lounge. Each
invitation is a :class:`Survey` row, written with its messages in the transaction of the change.
The rows are unique per subject and recipient, so a repeat (a meeting saved as held again, a
request closed once more) invites nobody twice.

The link's token names the survey row only: the row says whose it is, and the signature (see
:mod:`lounge.signed_links`) that nobody made it up. A survey stays open for :data:`OPEN_DAYS`
days; after that its link shows that it is closed and records nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Contact,
    Customer,
    ManagerAssignment,
    Meeting,
    Role,
    ServiceRequest,
    Survey,
    SurveySubject,
    Topic,
    User,
    utcnow,
)
from lounge import i18n, settings
from lounge.company import COMPANY
from lounge.i18n import _
from lounge.notify import fanout, outbox
from lounge.notify.outbox import Message
from lounge.notify.service import number
from lounge.notify.templates import Rendered, rendered
from lounge.requests.kinds import KINDS
from lounge.signed_links import LinkKind

KIND = "survey_invitation"
#: The templates this module writes (the notifications page previews them too).
KINDS_OF_MESSAGE = (KIND,)
SURVEY_PREFIX = "/survey/"
LINK = LinkKind(SURVEY_PREFIX, "satisfaction-survey")
#: How long a survey can be answered after its invitation.
OPEN_DAYS = 30
#: Where a user answers in the lounge.
LOUNGE_PATH = "/surveys"


def link(base_url: str, secret: str, survey_id: int) -> str:
    """The signed link that answers survey ``survey_id`` without signing in."""
    return LINK.url(base_url, secret, [survey_id])


def read_link(secret: str, token: str) -> int | None:
    """The survey a token names, or None for a token we did not sign as a survey link."""
    payload = LINK.read(secret, token)
    if payload is None or len(payload) != 1 or type(payload[0]) is not int:
        return None
    return payload[0]


def closes_at(survey: Survey) -> dt.datetime:
    return survey.sent_at + dt.timedelta(days=OPEN_DAYS)


def is_open(survey: Survey, now: dt.datetime) -> bool:
    """Still waiting for an answer, and not past its time."""
    return survey.answered_at is None and now < closes_at(survey)


def about(session: Session, survey: Survey) -> str:
    """What the survey asks about, in the active language ("The meeting of 3 May 2026 with ...")."""
    if survey.subject == SurveySubject.MEETING:
        meeting = session.get(Meeting, survey.subject_id)
        return _meeting_words(session, meeting) if meeting else ""
    request = session.get(ServiceRequest, survey.subject_id)
    return _request_words(request) if request else ""


def _meeting_words(session: Session, meeting: Meeting) -> str:
    manager = session.get(User, meeting.organiser_id) if meeting.organiser_id else None
    day = i18n.format_date(meeting.starts_at.astimezone(settings.TIMEZONE).date())
    if manager is None:
        return _("The meeting of {day}").format(day=day)
    return _("The meeting of {day} with {manager}").format(
        day=day, manager=manager.full_name or manager.email
    )


def _request_words(request: ServiceRequest) -> str:
    return _("Request {number} ({kind}: {subject})").format(
        number=number(request.id), kind=_(KINDS[request.kind].label), subject=request.subject
    )


def facts(words: str, customer: str, name: str, answer_link: str) -> dict[str, str]:
    """What the invitation says, in the active language."""
    return {
        "about": words,
        "customer": customer,
        "company": _(COMPANY.name),
        "name": name,
        "link": answer_link,
        "days": str(OPEN_DAYS),
    }


def sample_facts(kind: str, language: str, name: str, customer: str) -> dict[str, str]:
    """A preview's facts: a closed request, worded by the same code as a real one's."""
    request = ServiceRequest(
        id=42,
        kind="fault",
        subject="Store 12 has no power" if language == "en" else "אין חשמל בסניף 12",
    )
    with i18n.use(language):
        return facts(
            _request_words(request), customer, name, "https://lounge.example/survey/eyJ9.example"
        )


def after_meeting(
    session: Session, meeting: Meeting, base_url: str, now: dt.datetime | None = None
) -> int:
    """Invite the customer's people to rate a meeting just recorded as held."""
    return _invite(session, SurveySubject.MEETING, meeting.id, meeting.customer_id, base_url, now)


def after_request(
    session: Session, request: ServiceRequest, base_url: str, now: dt.datetime | None = None
) -> int:
    """Invite the customer's people to rate a request just closed."""
    return _invite(session, SurveySubject.REQUEST, request.id, request.customer_id, base_url, now)


def _rendered(
    session: Session, survey: Survey, customer: str, language: str, name: str, answer_link: str
) -> Rendered:
    """The invitation for a reader of ``language`` (English if that one is not whole)."""
    return rendered(
        KIND, language, lambda: facts(about(session, survey), customer, name, answer_link)
    )


def _invite(
    session: Session,
    subject: SurveySubject,
    subject_id: int,
    customer_id: str,
    base_url: str,
    now: dt.datetime | None,
) -> int:
    """One survey row and its messages per recipient not yet invited; returns the rows written."""
    now = now or utcnow()
    invited = set(
        session.scalars(
            select(Survey.recipient).where(
                Survey.subject == subject, Survey.subject_id == subject_id
            )
        )
    )
    customer = session.get(Customer, customer_id)
    assert customer is not None
    manager_id = session.scalar(
        select(ManagerAssignment.manager_id).where(ManagerAssignment.customer_id == customer_id)
    )
    secret = settings.load().secret_key
    contacts = session.scalars(
        select(Contact)
        .where(Contact.customer_id == customer_id)
        .options(selectinload(Contact.channels))
        .order_by(Contact.id)
    ).all()
    users = session.scalars(
        select(User)
        .where(User.customer_id == customer_id, User.role == Role.CLIENT, User.is_active)
        .order_by(User.id)
    ).all()
    recipients: list[tuple[str, Contact | None, User | None]] = [
        (f"contact:{contact.id}", contact, None) for contact in contacts
    ] + [(f"user:{user.id}", None, user) for user in users]
    messages: list[Message] = []
    written = 0
    for recipient, contact, user in recipients:
        if recipient in invited:
            continue
        survey = Survey(
            customer_id=customer_id,
            subject=subject,
            subject_id=subject_id,
            manager_id=manager_id,
            recipient=recipient,
            contact_id=contact.id if contact else None,
            user_id=user.id if user else None,
            sent_at=now,
            comment="",
        )
        session.add(survey)
        session.flush()
        written += 1
        source = f"survey:{survey.id}"
        if contact is not None:
            answer_link = link(base_url, secret, survey.id)
            text = _rendered(
                session, survey, customer.name, contact.language, contact.name, answer_link
            )
            messages.extend(
                fanout.to_contact(contact, text, Topic.SERVICE, KIND, source, answer_link)
            )
        elif user is not None:
            name = fanout.user_name(user)
            lounge_link = base_url.rstrip("/") + LOUNGE_PATH
            text = _rendered(session, survey, customer.name, user.language, name, lounge_link)
            messages.append(
                fanout.to_user(user, text, Topic.SERVICE, KIND, source, LOUNGE_PATH, customer_id)
            )
    outbox.enqueue(session, messages)
    return written
