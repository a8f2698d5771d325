"""Surveys through the web: the message's signed link answers without signing in (a forged one is
a 404, an expired one records nothing), a client answers only its own surveys, a manager follows
up only the portfolio's low scores, and the results page and its files show only what the viewer
serves; every new callback called with forged ids and other roles."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from db.models import Contact, ContactChannel, RequestState, Survey, Topic
from lounge.access import Viewer
from lounge.requests import workflow
from lounge.requests.workflow import RequestForm
from lounge.surveys import invitations
from lounge.users import create_user, find_by_email
from tests.test_web_access import ROUTER, SURVEY_FOLLOW_UP, SURVEY_SEND
from tests.web_fixtures import PASSWORD, sign_in

BASE = "http://lounge.test"
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def surveyed(db, world) -> dict[str, list[int]]:
    """A closed request for each customer, each with a contact (e-mail) and its client user;
    the fault desk exists too. Returns the survey ids by customer."""
    with db.session() as session:
        create_user(session, email="desk@a.test", role="fault_desk", password=PASSWORD, actor="t")
        for customer in ("CA", "CB"):
            session.add(
                Contact(
                    customer_id=customer,
                    name=f"Contact {customer}",
                    email=f"{customer}@contact.test",
                    language="he" if customer == "CA" else "en",
                    channels=[ContactChannel(topic=Topic.SERVICE, channel="email")],
                )
            )
            client = Viewer.of(find_by_email(session, f"client@{customer[1].lower()}.test"))
            admin = Viewer.of(find_by_email(session, "admin@a.test"))
            made = workflow.open_request(
                session, client, customer, RequestForm("general", "", "Q"), BASE
            )
            workflow.change_state(session, admin, made.id, RequestState.RESOLVED, "", BASE)
            workflow.change_state(session, client, made.id, RequestState.CLOSED, "", BASE)
        found: dict[str, list[int]] = {}
        for survey in session.scalars(select(Survey).order_by(Survey.id)):
            found.setdefault(survey.customer_id, []).append(survey.id)
        return found


def _rows(db) -> list[tuple]:
    with db.session() as session:
        return [
            (s.id, s.score, s.comment, s.follow_up_at is not None)
            for s in session.scalars(select(Survey).order_by(Survey.id))
        ]


def _pattern(client, output: str, kind: str, survey_id: int, inputs: list, state: list):
    status = {"index": survey_id, "type": json.loads(output.split(".")[0])["type"]}
    return client.post(
        "/_dash-update-component",
        json={
            "output": output,
            "outputs": {"id": status, "property": "children"},
            "inputs": inputs,
            "state": state,
            "changedPropIds": [f'{{"index":{survey_id},"type":"{kind}"}}.n_clicks'],
        },
    )


def _send(client, survey_id: int, score: object = 1, comment: str = "forged"):
    def key(kind: str) -> dict:
        return {"index": survey_id, "type": kind}

    return _pattern(
        client,
        SURVEY_SEND,
        "surveys-send",
        survey_id,
        [{"id": key("surveys-send"), "property": "n_clicks", "value": 1}],
        [
            {"id": key("surveys-score"), "property": "value", "value": score},
            {"id": key("surveys-comment"), "property": "value", "value": comment},
        ],
    )


def _follow_up(client, survey_id: int):
    button = {"index": survey_id, "type": "survey-follow-up"}
    return _pattern(
        client,
        SURVEY_FOLLOW_UP,
        "survey-follow-up",
        survey_id,
        [{"id": button, "property": "n_clicks", "value": 1}],
        [],
    )


def _user_survey(db, customer: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(Survey.id).where(Survey.customer_id == customer, Survey.user_id.is_not(None))
        )


def _contact_survey(db, customer: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(Survey.id).where(Survey.customer_id == customer, Survey.contact_id.is_not(None))
        )


def test_the_link_answers_without_signing_in_in_the_contacts_language(client, db, surveyed, app):
    secret = app.server.config["SECRET_KEY"]
    survey_id = _contact_survey(db, "CA")
    path = invitations.link(BASE, secret, survey_id).removeprefix(BASE)
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'dir="rtl"' in text and "איך היינו?" in text
    assert 'name="viewport"' in text  # fits a phone
    assert _rows(db)[0][1] is None  # opening the link answers nothing
    done = client.post(path, data={"score": "2", "comment": "איטי"}, headers=ORIGIN)
    assert done.status_code == 200 and "survey-done" in done.get_data(as_text=True)
    again = client.post(path, data={"score": "2", "comment": "איטי"}, headers=ORIGIN)
    assert "survey-error" not in again.get_data(as_text=True)  # a double submit is no error
    changed = client.post(path, data={"score": "5", "comment": ""}, headers=ORIGIN)
    assert "survey-error" in changed.get_data(as_text=True)
    with db.session() as session:
        survey = session.get(Survey, survey_id)
        assert (survey.score, survey.comment, survey.answered_via) == (2, "איטי", "link")


def test_a_forged_or_expired_link_gets_nothing(client, db, surveyed, app):
    secret = app.server.config["SECRET_KEY"]
    survey_id = _contact_survey(db, "CB")
    forged = invitations.link(BASE, "guessed", survey_id).removeprefix(BASE)
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"score": "1"}, headers=ORIGIN).status_code == 404
    assert client.get("/survey/not-a-token").status_code == 404
    nowhere = invitations.link(BASE, secret, 999_999).removeprefix(BASE)
    assert client.get(nowhere).status_code == 404
    with db.session() as session:
        survey = session.get(Survey, survey_id)
        survey.sent_at -= dt.timedelta(days=invitations.OPEN_DAYS + 1)
    path = invitations.link(BASE, secret, survey_id).removeprefix(BASE)
    page = client.get(path).get_data(as_text=True)
    assert "survey-closed" in page and "survey-form" not in page
    client.post(path, data={"score": "1"}, headers=ORIGIN)
    assert all(score is None for _id, score, _c, _f in _rows(db))


def test_a_client_answers_its_own_survey_in_the_lounge_and_no_one_elses(client, db, surveyed):
    sign_in(client, "client@a.test")
    page = client.post(
        "/_dash-update-component",
        json={
            "output": ROUTER,
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/surveys"},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "state": [],
            "changedPropIds": ["_pages_location.pathname"],
        },
    ).get_data(as_text=True)
    own = _user_survey(db, "CA")
    assert f"surveys-card-{own}" in page and "surveys-score" in page
    for survey_id in surveyed["CB"] + [_contact_survey(db, "CA")]:  # another's, a contact's
        assert "not-found" in _send(client, survey_id).get_data(as_text=True)
    assert all(score is None for _id, score, _c, _f in _rows(db))
    assert "Thank you" in _send(client, own, 4, "good").get_data(as_text=True)
    assert "1 to 5" in _send(client, own, 9, "").get_data(as_text=True)  # refused, says why
    assert [r for r in _rows(db) if r[1] is not None] == [(own, 4, "good", False)]


@pytest.mark.parametrize(
    "email", ["client@a.test", "client@b.test", "demand@a.test", "desk@a.test"]
)
def test_forged_survey_callbacks_of_other_roles_change_nothing(client, db, surveyed, email):
    with db.session() as session:
        session.execute(update(Survey).values(score=1, answered_at=Survey.sent_at))
    sign_in(client, email)
    for survey_id in surveyed["CA"] + surveyed["CB"]:
        assert "not-found" in _follow_up(client, survey_id).get_data(as_text=True)
    if not email.startswith("client"):
        for survey_id in surveyed["CA"]:
            assert "not-found" in _send(client, survey_id, 5, "").get_data(as_text=True)
    assert all(score == 1 and not followed for _i, score, _c, followed in _rows(db))


def test_a_manager_follows_up_only_the_portfolios_low_scores(client, db, surveyed):
    with db.session() as session:
        session.execute(update(Survey).values(score=1, answered_at=Survey.sent_at))
    sign_in(client, "manager@a.test")
    for survey_id in surveyed["CB"]:  # not in the portfolio
        assert "not-found" in _follow_up(client, survey_id).get_data(as_text=True)
    done = _follow_up(client, surveyed["CA"][0]).get_data(as_text=True)
    assert "Followed up by" in done
    assert [r[0] for r in _rows(db) if r[3]] == [surveyed["CA"][0]]


@pytest.mark.parametrize(
    ("email", "status", "sees_other"),
    [
        ("manager@a.test", 200, False),
        ("admin@a.test", 200, True),
        ("client@a.test", 404, False),
        ("demand@a.test", 404, False),
        ("desk@a.test", 404, False),
    ],
)
def test_the_results_file_holds_only_what_the_viewer_serves(
    client, db, surveyed, email, status, sees_other
):
    with db.session() as session:
        session.execute(update(Survey).values(score=3, comment="noted", answered_at=Survey.sent_at))
    sign_in(client, email)
    response = client.get("/download/surveys.csv")
    assert response.status_code == status
    if status == 200:
        text = response.get_data(as_text=True)
        assert "Acme Steel Works" in text
        assert ("Zebra Cold Storage" in text) is sees_other
