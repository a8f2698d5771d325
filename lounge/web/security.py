"""Security headers, the same-origin check on every POST, and session timeouts.

In one place so that what the browser is told to allow can be read at a glance:

- **Content-Security-Policy**: scripts only from this site, plus the inline
  scripts Dash writes itself (its renderer start-up and the clientside callbacks),
  allowed by their hashes (:meth:`dash.Dash.csp_hashes`), never by
  ``'unsafe-inline'``. Styles may be inline: Plotly and the grid set ``style``
  attributes and ``<style>`` elements at run time. No framing by anyone.
- **HSTS** on HTTPS responses (a plain-HTTP answer cannot set it anyway),
  ``nosniff``, a same-origin Referrer-Policy.
- **Origin check**: a state-changing request (every POST, including
  ``/_dash-update-component``) whose ``Origin`` (or, without one, ``Referer``) is
  another site is refused with 403. SameSite=Lax cookies already stop most
  cross-site posts; this also stops those from sibling subdomains and old
  browsers. A request with neither header is not from a browser page (browsers
  send ``Origin`` on every POST) and carries no ambient credentials worth forging.
- **Sessions** end after ``idle_timeout_minutes`` without a request, and at the
  latest ``PERMANENT_SESSION_LIFETIME`` after signing in, however busy.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, request, session
from flask_login import current_user, logout_user

from lounge.settings import Settings

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_HSTS = "max-age=31536000; includeSubDomains"
#: How stale the idle stamp in the cookie may get before it is written again
#: (writing it on every callback would re-send the cookie on every response).
_SEEN_GRANULARITY_S = 60


def init_security(server: Flask, settings: Settings) -> None:
    """Install the checks; call before anything else registers ``before_request``
    (an expired session must be gone before the sign-in gate looks at it)."""
    server.config["LOUNGE_IDLE_TIMEOUT_S"] = settings.idle_timeout_minutes * 60
    server.config.setdefault("LOUNGE_SCRIPT_HASHES", [])
    server.before_request(_same_origin_only)
    server.before_request(_end_stale_session)
    server.after_request(_headers)


def trust_inline_scripts(server: Flask, hashes: Sequence[str]) -> None:
    """Allow exactly these inline scripts (Dash's, once every callback is registered)."""
    server.config["LOUNGE_SCRIPT_HASHES"] = list(hashes)


def content_security_policy(script_hashes: Sequence[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin_only() -> Any:
    if request.method not in _UNSAFE_METHODS:
        return None
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if claimed is None:
        return None
    if claimed == "null" or _origin_of(claimed) != _origin_of(request.host_url):
        return jsonify(error="cross-origin request refused"), 403
    return None


def _end_stale_session() -> None:
    if not current_user.is_authenticated:
        return
    now = time.time()
    since = session.setdefault("since", now)
    seen = session.setdefault("seen", now)
    idle = current_app.config["LOUNGE_IDLE_TIMEOUT_S"]
    absolute = current_app.permanent_session_lifetime.total_seconds()
    if now - seen > idle or now - since > absolute:
        logout_user()
        session.clear()
    elif now - seen > _SEEN_GRANULARITY_S:
        session["seen"] = now


def _headers(response: Response) -> Response:
    headers = response.headers
    policy = content_security_policy(current_app.config["LOUNGE_SCRIPT_HASHES"])
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", _HSTS)
    if request.path.startswith("/_dash-") or request.path == "/login":
        headers.setdefault("Cache-Control", "no-store")
    return response
