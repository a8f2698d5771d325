"""Satisfaction surveys: invited once after a meeting held and a request closed (messages through
the outbox), answered once in the lounge or by the signed link, low scores on the manager's week
until followed up, figures per manager and month, and the Hebrew texts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import (
    Channel,
    Contact,
    ContactChannel,
    Meeting,
    MeetingState,
    Notification,
    RequestState,
    Survey,
    Topic,
    User,
    utcnow,
)
from lounge import customer360, i18n, localtime, meetings, settings, week
from lounge.access import AccessDenied, NotFound, Viewer
from lounge.meetings import MeetingForm
from lounge.notify import templates
from lounge.requests import workflow
from lounge.requests.workflow import RequestForm
from lounge.surveys import answers, invitations, results
from lounge.surveys.answers import SurveyRefused
from lounge.users import find_by_email

BASE = "http://lounge.test"


def _viewer(session, email: str) -> Viewer:
    return Viewer.of(find_by_email(session, email))


def _contacts(session) -> None:
    """CA has a Hebrew contact on e-mail and SMS, CB an English one by e-mail."""
    for customer, name, language, channels in (
        ("CA", "נועה כהן", "he", ("email", "sms")),
        ("CB", "Bob Zebra", "en", ("email",)),
    ):
        contact = Contact(
            customer_id=customer,
            name=name,
            email=f"{customer.lower()}@contact.test",
            phone="+972501234567",
            language=language,
            channels=[ContactChannel(topic=Topic.SERVICE, channel=c) for c in channels],
        )
        session.add(contact)
    session.flush()


def _closed_request(session, customer: str = "CA") -> int:
    """A general request of ``customer`` opened by its client, resolved and closed."""
    client = _viewer(session, "client@a.test" if customer == "CA" else "client@b.test")
    admin = _viewer(session, "admin@a.test")
    made = workflow.open_request(session, client, customer, RequestForm("general", "", "Q"), BASE)
    workflow.change_state(session, admin, made.id, RequestState.RESOLVED, "", BASE)
    workflow.change_state(session, client, made.id, RequestState.CLOSED, "", BASE)
    return made.id


def _surveys(session, **where) -> list[Survey]:
    query = select(Survey).order_by(Survey.id)
    for name, value in where.items():
        query = query.where(getattr(Survey, name) == value)
    return list(session.scalars(query))


def _answer_all(session, survey_ids, score: int, comment: str = "") -> None:
    for survey_id in survey_ids:
        survey = session.get(Survey, survey_id)
        token = invitations.link(BASE, settings.load().secret_key, survey.id).rsplit("/", 1)[1]
        answers.answer_by_link(session, settings.load().secret_key, token, score, comment, utcnow())


@pytest.fixture
def people(db, world):
    with db.session() as session:
        _contacts(session)
    return world


def test_a_closed_request_invites_each_contact_and_user_once_through_the_outbox(db, people):
    with db.session() as session:
        request_id = _closed_request(session)
        surveys = _surveys(session)
        assert {s.recipient.split(":")[0] for s in surveys} == {"contact", "user"}
        assert {(s.customer_id, s.subject, s.subject_id) for s in surveys} == {
            ("CA", "request", request_id)
        }
        manager = find_by_email(session, "manager@a.test")
        assert {s.manager_id for s in surveys} == {manager.id}  # who served, kept on the row
        sent = session.scalars(
            select(Notification).where(Notification.kind == invitations.KIND)
        ).all()
        by_channel = {m.channel: m for m in sent}
        assert set(by_channel) == {Channel.EMAIL, Channel.SMS, Channel.IN_APP}
        email = by_channel[Channel.EMAIL]
        assert email.language == "he" and "/survey/" in email.body and email.link.startswith(BASE)
        assert by_channel[Channel.IN_APP].link == "/surveys"
        # closing is final, but the invitation runs again harmlessly: nobody is invited twice
        request = session.get(workflow.ServiceRequest, request_id)
        assert invitations.after_request(session, request, BASE) == 0
        assert len(_surveys(session)) == len(surveys)
        assert session.scalar(
            select(func.count()).where(Notification.kind == invitations.KIND)
        ) == len(sent)


def test_a_meeting_recorded_as_held_invites_once_and_a_scheduled_one_does_not(db, people):
    with db.session() as session:
        manager = _viewer(session, "manager@a.test")
        start = localtime.today() - dt.timedelta(days=2)
        meeting = Meeting(
            customer_id="CA",
            organiser_id=manager.user_id,
            uid="meeting-test@lounge",
            starts_at=dt.datetime.combine(start, dt.time(10), settings.TIMEZONE),
            place="Ashdod",
            state=MeetingState.SCHEDULED,
        )
        session.add(meeting)
        session.flush()
        form = MeetingForm(day=start.isoformat(), time="10:00", place="Ashdod", minutes="ok")
        meetings.update(session, manager, meeting.id, form, BASE)
        assert _surveys(session) == []  # saved, not held: no survey yet
        meetings.update(session, manager, meeting.id, form, BASE, held=True)
        first = _surveys(session, subject="meeting")
        meetings.update(session, manager, meeting.id, form, BASE, held=True)  # saved again
        assert _surveys(session, subject="meeting") == first and len(first) == 2
        with i18n.use("en"):
            assert invitations.about(session, first[0]).startswith("The meeting of ")


def test_an_answer_is_taken_once_a_double_submit_is_no_error_and_a_change_is_refused(db, people):
    now = utcnow()
    with db.session() as session:
        _closed_request(session)
        client = _viewer(session, "client@a.test")
        [mine] = answers.awaiting(session, client, now)
        with pytest.raises(SurveyRefused, match="1 to 5"):
            answers.answer(session, client, mine.survey_id, 6, "", now)
        with pytest.raises(SurveyRefused, match="1 to 5"):
            answers.answer(session, client, mine.survey_id, True, "", now)
        done = answers.answer(session, client, mine.survey_id, "4", " fine ", now)
        assert (done.score, done.comment, done.is_open) == (4, "fine", False)
        again = answers.answer(session, client, mine.survey_id, 4, "fine", now)  # double click
        assert again.answered_at == done.answered_at
        with pytest.raises(SurveyRefused, match="cannot be changed"):
            answers.answer(session, client, mine.survey_id, 1, "actually bad", now)
        assert answers.awaiting(session, client, now) == []
        assert session.get(Survey, mine.survey_id).score == 4


def test_the_signed_link_answers_and_a_forged_or_expired_one_gets_nothing(db, people):
    secret = settings.load().secret_key
    with db.session() as session:
        _closed_request(session)
        survey = _surveys(session, recipient=f"contact:{_contact_id(session, 'CA')}")[0]
        token = invitations.link(BASE, secret, survey.id).rsplit("/", 1)[1]
        assert answers.by_link(session, secret, token).id == survey.id
        assert answers.by_link(session, "guessed", token) is None  # not signed by us
        ack_kind = invitations.LINK.__class__("/ack/", "notice-acknowledgement")
        other_kind = ack_kind.url(BASE, secret, [survey.id]).rsplit("/", 1)[1]
        assert answers.by_link(session, secret, other_kind) is None  # another kind's token
        with pytest.raises(NotFound):
            answers.answer_by_link(session, "guessed", token, 5, "", utcnow())
        late = survey.sent_at + dt.timedelta(days=invitations.OPEN_DAYS, minutes=1)
        with pytest.raises(SurveyRefused, match="closed"):
            answers.answer_by_link(session, secret, token, 5, "", late)
        assert session.get(Survey, survey.id).answered_at is None
        shown = answers.answer_by_link(session, secret, token, 2, "slow", utcnow())
        assert (shown.score, session.get(Survey, survey.id).answered_via) == (2, "link")


def _contact_id(session, customer: str) -> int:
    return session.scalar(select(Contact.id).where(Contact.customer_id == customer))


def test_a_low_score_is_on_the_week_until_followed_up(db, people):
    today = localtime.today()
    with db.session() as session:
        _closed_request(session)
        _closed_request(session, "CB")  # another manager's customer (none): not on the week
        _answer_all(session, [s.id for s in _surveys(session, customer_id="CB")], 1)
        low = _surveys(session, customer_id="CA", user_id=None)[0]
        _answer_all(session, [low.id], 2, "too slow")
        high = _surveys(session, customer_id="CA", contact_id=None)[0]
        client = _viewer(session, "client@a.test")
        answers.answer(session, client, high.id, 5, "", utcnow())
        manager = _viewer(session, "manager@a.test")
        [line] = week.low_survey_scores(session, manager, today)
        assert (line.customer_id, line.survey_id, line.href) == ("CA", low.id, "/customer/CA")
        assert "too slow" in line.text and line.tone == "danger"
        admin = _viewer(session, "admin@a.test")
        assert {x.customer_id for x in week.low_survey_scores(session, admin, today)} == {
            "CA",
            "CB",
        }
        with pytest.raises(NotFound):  # another manager's customer, or a high score
            results.follow_up(session, manager, _surveys(session, customer_id="CB")[0].id)
        with pytest.raises(NotFound):
            results.follow_up(session, manager, high.id)
        for role in ("client@a.test", "demand@a.test"):
            with pytest.raises(AccessDenied):
                results.follow_up(session, _viewer(session, role), low.id)
        done = results.follow_up(session, manager, low.id)
        assert done.follow_up_by_id == manager.user_id and done.follow_up_at is not None
        assert results.follow_up(session, manager, low.id).follow_up_at == done.follow_up_at
        assert week.low_survey_scores(session, manager, today) == []
        assert week.week(session, manager, today).surveys == ()


def test_answered_surveys_are_on_the_customers_timeline(db, people):
    with db.session() as session:
        request_id = _closed_request(session)
        answered, unanswered = _surveys(session, customer_id="CA")[:2]
        _answer_all(session, [answered.id], 2, "too slow")
        lines = [
            (e.title, e.detail, e.href)
            for e in customer360.timeline(session, _viewer(session, "manager@a.test"), "CA")
            if e.kind == "survey"
        ]
    assert lines == [("Survey after a request: 2 of 5", "too slow", f"/requests/{request_id}")]


def test_a_client_answers_only_its_own_surveys(db, people):
    now = utcnow()
    with db.session() as session:
        _closed_request(session, "CB")
        theirs = _surveys(session, customer_id="CB")
        mine = _viewer(session, "client@a.test")
        assert answers.mine(session, mine, now) == []
        for survey in theirs:
            with pytest.raises(NotFound):
                answers.answer(session, mine, survey.id, 1, "forged", now)
        for email in ("manager@a.test", "admin@a.test", "demand@a.test"):
            with pytest.raises(AccessDenied):
                answers.answer(session, _viewer(session, email), theirs[0].id, 1, "", now)
        with pytest.raises(AccessDenied):
            results.answers(session, mine)
        with pytest.raises(AccessDenied):
            results.answers(session, _viewer(session, "demand@a.test"))
        assert all(s.answered_at is None for s in _surveys(session))


def test_results_per_manager_and_month_on_a_seeded_example(db, people):
    """Two managers, two months: the averages, counts and low scores worked by hand."""
    with db.session() as session:
        admin = _viewer(session, "admin@a.test")
        other = User(
            email="manager2@a.test",
            full_name="Zohar Manager",
            password_hash="x",
            role="account_manager",
            session_token="t",
        )
        session.add(other)
        session.flush()
        march = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
        april = dt.datetime(2026, 4, 2, 9, tzinfo=dt.UTC)
        manager_id = find_by_email(session, "manager@a.test").id
        # manager@a.test: March 5, 4, 1 (avg 3.33, one low); April 2 (avg 2, one low)
        # manager2: March 3 (avg 3)
        seeded = [
            ("CA", manager_id, march, 5),
            ("CA", manager_id, march, 4),
            ("CA", manager_id, march, 1),
            ("CA", manager_id, april, 2),
            ("CB", other.id, march, 3),
        ]
        for n, (customer, served, at, score) in enumerate(seeded):
            session.add(
                Survey(
                    customer_id=customer,
                    subject="request",
                    subject_id=1000 + n,
                    manager_id=served,
                    recipient=f"user:{n}",
                    sent_at=at - dt.timedelta(days=1),
                    score=score,
                    comment="",
                    answered_at=at,
                    answered_via="lounge",
                )
            )
        session.flush()
        every = results.by_month(results.answers(session, admin))
        assert [(m.manager, m.month, m.answers, m.average, m.low) for m in every] == [
            ("manager@a.test", dt.date(2026, 3, 1), 3, 3.33, 1),
            ("manager@a.test", dt.date(2026, 4, 1), 1, 2.0, 1),
            ("Zohar Manager", dt.date(2026, 3, 1), 1, 3.0, 0),
        ]
        own = results.by_month(results.answers(session, _viewer(session, "manager@a.test")))
        assert [(m.month, m.answers) for m in own] == [
            (dt.date(2026, 3, 1), 3),
            (dt.date(2026, 4, 1), 1),
        ]
        document = results.document(session, admin, "he")
        assert document.language == "he" and len(document.sections[1].rows) == 5


def test_the_hebrew_texts():
    assert templates.language_for(invitations.KIND, "he") == "he"
    with i18n.use("he"):
        assert i18n.gettext("Choose a score from 1 to 5.") != "Choose a score from 1 to 5."
        assert "1" in i18n.gettext("How satisfied are you, from 1 (not at all) to 5 (very)?")
        facts = invitations.sample_facts(invitations.KIND, "he", "דנה", "אופק")
        text = templates.render(invitations.KIND, "he", facts)
        assert "פנייה" in text.text or "בקשה" in text.text
        assert text.html.startswith('<div dir="rtl" lang="he">')
