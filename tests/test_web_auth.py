"""Sign-in, the gate, sessions and the language switch, through real HTTP requests."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.models import User
from tests.web_fixtures import PASSWORD, call, csrf_from, sign_in

GENERIC = "The e-mail or password is wrong."


@pytest.mark.parametrize(
    "path",
    ["/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_dash-component-suites/x.js"],
)
def test_anonymous_dash_endpoints_get_401(client, path):
    assert client.get(path).status_code == 401


def test_anonymous_callback_post_gets_401(client):
    response = client.post("/_dash-update-component", json={"output": "overview-chart.figure"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/", "/overview", "/admin", "/no-such-page"])
def test_anonymous_pages_redirect_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=" + path)


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("client@a.test", "/overview"),
        ("manager@a.test", "/week"),
        ("demand@a.test", "/regions"),
        ("admin@a.test", "/admin"),
    ],
)
def test_each_role_lands_on_its_home(client, email, home):
    response = sign_in(client, email)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get("/").headers["Location"] == home
    assert client.get("/_dash-layout").status_code == 200


def test_session_cookie_is_http_only_and_same_site(client):
    response = sign_in(client, "client@a.test")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "lounge_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app):
    client = app.server.test_client()
    token = csrf_from(client.get("/login", base_url="https://lounge.test").get_data(as_text=True))
    response = client.post(
        "/login",
        base_url="https://lounge.test",
        data={"csrf_token": token, "email": "client@a.test", "password": PASSWORD},
    )
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "lounge_session=" in c)
    assert "Secure" in cookie


def test_wrong_password_and_unknown_user_get_the_same_message(client):
    wrong = sign_in(client, "client@a.test", "not-the-password")
    unknown = sign_in(client, "nobody@a.test", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.get_data(as_text=True)
    assert GENERIC in unknown.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def test_sign_in_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": "client@a.test", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_rate_limit_on_sign_in(db, world):
    from app import create_app

    app = create_app({"database_url": db.url, "login_rate_limit": "3 per minute"})
    client = app.server.test_client()
    responses = [sign_in(client, "nobody@a.test", "wrong-password") for _ in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Too many sign-in attempts" in responses[-1].get_data(as_text=True)


def test_sign_in_starts_a_fresh_session(client):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, "client@a.test")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sign_out_ends_every_copy_of_the_session(client):
    sign_in(client, "client@a.test")
    stolen = client.get_cookie("lounge_session").value
    assert client.get("/_dash-layout").status_code == 200
    with client.session_transaction() as session:
        token = session["csrf_token"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    other = client.application.test_client()
    other.set_cookie("lounge_session", stolen)
    assert other.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/_dash-layout"])
def test_next_parameter_cannot_leave_the_site(client, target):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "client@a.test", "password": PASSWORD, "next": target},
    )
    assert response.headers["Location"] == "/overview"


def test_next_parameter_returns_to_the_page_asked_for(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "manager@a.test",
            "password": PASSWORD,
            "next": "/overview?customer=CA",
        },
    )
    assert response.headers["Location"] == "/overview?customer=CA"


def test_language_switch_is_remembered_and_turns_the_page_right_to_left(client, db):
    sign_in(client, "client@a.test")
    assert '<html lang="en" dir="ltr">' in client.get("/overview").get_data(as_text=True)
    body = {
        "output": "shell-reload.href",
        "outputs": {"id": "shell-reload", "property": "href"},
        "inputs": [
            [
                {
                    "id": {"type": "shell-language", "language": "en"},
                    "property": "n_clicks",
                    "value": None,
                },
                {
                    "id": {"type": "shell-language", "language": "he"},
                    "property": "n_clicks",
                    "value": 1,
                },
            ]
        ],
        "state": [
            {"id": "_pages_location", "property": "pathname", "value": "/overview"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ['{"language":"he","type":"shell-language"}.n_clicks'],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    assert response.get_json()["response"]["shell-reload"]["href"] == "/overview"
    html = client.get("/overview").get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    with db.session() as session:
        assert (
            session.scalars(select(User.language).where(User.email == "client@a.test")).one()
            == "he"
        )
    fresh = client.application.test_client()
    sign_in(fresh, "client@a.test")
    assert 'dir="rtl"' in fresh.get("/overview").get_data(as_text=True)


def test_sign_in_page_speaks_hebrew_when_asked(client):
    html = client.get("/login?lang=he").get_data(as_text=True)
    assert 'dir="rtl"' in html
    assert "bootstrap.rtl.min.css" in html


def test_a_refused_hebrew_sign_in_stays_in_hebrew_and_keeps_the_e_mail(client):
    """Point 11: the page answered in English and emptied the e-mail field."""
    page = client.get("/login?lang=he").get_data(as_text=True)
    # send every hidden field of the form, as the browser does
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert form["lang"] == "he"
    form |= {"email": "client@a.test", "password": "not-the-password"}
    response = client.post("/login", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert '<html lang="he" dir="rtl">' in html
    assert 'name="email" value="client@a.test"' in html
    assert "not-the-password" not in html
    assert '<html lang="he"' in client.get("/login").get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_health_endpoint_is_public(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_call_helper_reaches_a_callback(client, world):
    sign_in(client, "client@a.test")
    response = call(
        client,
        "..overview-chart.figure...overview-chart-note.children..",
        {"overview-site.value": world.own_site},
        {"overview-customer.data": world.own},
    )
    assert response.status_code == 200
