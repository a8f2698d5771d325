"""Point 18: security headers, the same-origin check on POSTs, and session timeouts."""

from __future__ import annotations

import base64
import hashlib
import re
import time

import pytest

from tests.web_fixtures import PASSWORD, csrf_from, sign_in

EVIL = {"Origin": "https://evil.example"}


def _inline_scripts(html: str) -> list[str]:
    """The executable inline scripts of a page (JSON data blocks and comments are not run)."""
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    found = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", html, re.S)
    return [body for attributes, body in found if "application/json" not in attributes]


def test_the_policy_allows_dash_s_own_inline_scripts_by_hash_and_nothing_else_inline(client):
    sign_in(client, "client@a.test")
    response = client.get("/consumption")  # a page with a clientside callback
    policy = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1).split()
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    scripts = _inline_scripts(response.get_data(as_text=True))
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy


@pytest.mark.parametrize("path", ["/login", "/healthz"])
def test_every_response_has_the_headers(client, path):
    headers = client.get(path).headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP cannot set it


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://lounge.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cross_origin_posts_are_refused_everywhere(client):
    page = client.get("/login").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "email": "client@a.test", "password": PASSWORD}
    assert client.post("/login", data=form, headers=EVIL).status_code == 403
    assert client.get("/_dash-layout").status_code == 401  # not signed in
    assert client.post("/login", data=form, headers={"Origin": "null"}).status_code == 403
    same = {"Origin": "http://localhost"}
    assert client.post("/login", data=form, headers=same).status_code == 302
    body = {"output": "x.children", "inputs": [], "changedPropIds": []}
    refused = client.post("/_dash-update-component", json=body, headers=EVIL)
    assert refused.status_code == 403
    referer = {"Referer": "https://evil.example/page"}
    with client.session_transaction() as session:
        token = session["csrf_token"]
    assert client.post("/logout", data={"csrf_token": token}, headers=referer).status_code == 403
    assert client.get("/_dash-layout").status_code == 200  # still signed in


def _age_session(client, *, idle_s: float = 0, signed_in_s: float = 0) -> None:
    now = time.time()
    with client.session_transaction() as session:
        session["seen"] = now - idle_s
        session["since"] = now - signed_in_s


def test_a_session_ends_after_30_idle_minutes(client):
    sign_in(client, "client@a.test")
    assert client.get("/_dash-layout").status_code == 200
    _age_session(client, idle_s=29 * 60, signed_in_s=29 * 60)
    assert client.get("/_dash-layout").status_code == 200
    _age_session(client, idle_s=31 * 60, signed_in_s=31 * 60)
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/overview").headers["Location"].startswith("/login")


def test_a_busy_session_still_ends_at_the_absolute_limit(client):
    sign_in(client, "client@a.test")
    _age_session(client, idle_s=10, signed_in_s=8 * 3600 + 1)
    assert client.get("/_dash-layout").status_code == 401


def test_the_idle_timeout_is_a_setting(db, world):
    from app import create_app

    app = create_app({"database_url": db.url, "idle_timeout_minutes": 5})
    client = app.server.test_client()
    sign_in(client, "client@a.test")
    _age_session(client, idle_s=6 * 60, signed_in_s=6 * 60)
    assert client.get("/_dash-layout").status_code == 401
