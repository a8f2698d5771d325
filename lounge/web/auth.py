"""Sign-in, sign-out, the language switch, and the gate in front of everything.

The gate runs before every request: anonymous calls to Dash's endpoints
(``/_dash-*`` and every other ``/_`` path) get 401, anonymous page requests are
sent to the sign-in page. Pages and callbacks then ask :func:`context.viewer`
who is calling, and the domain decides what that viewer may see.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from db.models import Role, User, utcnow
from lounge import i18n, signin, users
from lounge.access import Viewer
from lounge.i18n import _
from lounge.settings import LANGUAGES, Settings
from lounge.web.context import csrf_ok, csrf_token, db_session

blueprint = Blueprint("auth", __name__, template_folder="templates")

#: Where each role lands after signing in.
HOME = {
    Role.CLIENT: "/overview",
    Role.ACCOUNT_MANAGER: "/week",
    Role.DEMAND_STAFF: "/regions",
    Role.ADMIN: "/admin",
    Role.FAULT_DESK: "/fault-desk",
}
#: Open without signing in: ``/hooks/`` callers (providers), ``/ack/`` and ``/a/`` links (a
#: contact acknowledging a notice from a message) and ``/survey/`` links (a contact answering a
#: survey) prove themselves by a signature instead.
_PUBLIC_PREFIXES = ("/assets/", "/healthz", "/hooks/", "/ack/", "/a/", "/survey/")


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


@dataclass
class LoginUser(UserMixin):
    """The signed-in user for one request; loaded fresh from the database each time."""

    user_id: int
    email: str
    full_name: str
    role: Role
    customer_id: str | None
    language: str
    token: str

    @classmethod
    def of(cls, user: User) -> LoginUser:
        return cls(
            user.id,
            user.email,
            user.full_name,
            Role(user.role),
            user.customer_id,
            user.language,
            user.session_token,
        )

    def get_id(self) -> str:
        # the token makes sign-out (which rotates it) end every copy of the cookie
        return f"{self.user_id}:{self.token}"

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.user_id, self.email, self.role, self.customer_id)

    @property
    def home(self) -> str:
        return HOME[self.role]


def _load_user(identifier: str) -> LoginUser | None:
    user_id, _sep, token = identifier.partition(":")
    if not user_id.isdigit() or not token:
        return None
    with db_session() as db:
        user = db.get(User, int(user_id))
        if user is None or not user.is_active or user.session_token != token:
            return None
        return LoginUser.of(user)


def _safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: an open redirect would make a fine phishing link."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if target.startswith("/login") or target.startswith("/_"):
        return fallback
    return target


def _login_language() -> str:
    """The language asked for (link or the sign-in form's own field), else the remembered one.

    The form carries the page's language, so a refused sign-in answers in the language
    the person was reading, and the choice is remembered for the rest of the visit.
    """
    chosen = request.values.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _render_login(error: str | None = None, status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "login.html",
            _=_,
            error=error,
            csrf=csrf_token(),
            next=request.values.get("next", ""),
            # typing it again after a refusal is a chore; the password never comes back
            email=request.form.get("email", "")[:254],
            language=i18n.current(),
            rtl=i18n.is_rtl(),
            languages=[("en", "English"), ("he", "עברית")],
        ),
        status,
    )


@blueprint.get("/login")
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(current_user.home)
    return _render_login()


def _login_post() -> Any:
    settings: Settings = current_app.config["LOUNGE_SETTINGS"]
    if not csrf_ok(request.form.get("csrf_token")):
        return _render_login(_("Your session expired. Please sign in again."), 400)
    email = request.form.get("email", "")[:254]
    password = request.form.get("password", "")[:1024]
    attempt = signin.keys(email, get_remote_address())
    policy = signin.Policy(
        settings.login_free_failures, dt.timedelta(seconds=settings.login_max_delay_seconds)
    )
    with db_session() as db:
        now = utcnow()
        wait = signin.wait(db, attempt, now)
        if wait:
            users.spend_a_password_check(password)
            return _throttled(wait)
        user = users.authenticate(db, email, password)
        if user is None:
            signin.failed(db, attempt, policy, now, users.audit_name(email))
            return _render_login(_("The e-mail or password is wrong."), 401)
        signin.succeeded(db, attempt)
        signed_in = LoginUser.of(user)
    next_page = _safe_next(request.form.get("next"), signed_in.home)
    session.clear()  # a fresh session: nothing from before the sign-in survives
    login_user(signed_in, fresh=True)
    csrf_token()
    return redirect(next_page)


def _throttled(wait: dt.timedelta) -> Any:
    seconds = max(1, math.ceil(wait.total_seconds()))
    page, status = _render_login(
        _("Too many failed sign-ins. Please wait {seconds} seconds and try again.").format(
            seconds=seconds
        ),
        429,
    )
    return page, status, {"Retry-After": str(seconds)}


@blueprint.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated and csrf_ok(request.form.get("csrf_token")):
        with db_session() as db:
            user = db.get(User, current_user.user_id)
            if user is not None:
                users.end_sessions(user)
        logout_user()
    session.clear()
    return redirect("/login")


@blueprint.post("/language")
def language() -> Any:
    chosen = request.form.get("language", "")
    target = _safe_next(request.form.get("next"), "/")
    if chosen not in LANGUAGES or not csrf_ok(request.form.get("csrf_token")):
        return redirect(target)
    if current_user.is_authenticated:
        with db_session() as db:
            user = db.get(User, current_user.user_id)
            if user is not None:
                users.set_language(user, chosen)
    else:
        session["lang"] = chosen
        if target == "/":
            target = f"/login?lang={chosen}"
    return redirect(target)


@blueprint.get("/healthz")
def health() -> Any:
    return {"status": "ok"}


def _gate() -> Any:
    """Run before every request: set the language, keep anonymous callers out."""
    path = request.path
    if current_user.is_authenticated:
        i18n.activate(current_user.language)
        if path == "/":
            return redirect(current_user.home)
        return None
    i18n.activate(_login_language())
    if path in ("/login", "/language") or path.startswith(_PUBLIC_PREFIXES):
        return None
    if path.startswith("/_"):
        return jsonify(error="sign in required"), 401
    return redirect(f"/login?next={request.full_path.rstrip('?')}")


def init_auth(server: Flask, settings: Settings) -> None:
    server.config["LOUNGE_SETTINGS"] = settings
    server.session_interface = HttpsAwareSessionInterface()
    manager = LoginManager()
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.init_app(server)

    limiter = Limiter(get_remote_address, app=server, storage_uri=settings.ratelimit_storage_url)
    server.register_blueprint(blueprint)
    # only refusals count: people who sign in successfully never use up their address's limit
    login_post = limiter.limit(
        settings.login_rate_limit, deduct_when=lambda response: response.status_code != 302
    )(_login_post)
    server.add_url_rule("/login", "login_post", login_post, methods=["POST"])

    @server.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Any:
        page, status = _render_login(
            _("Too many sign-in attempts. Wait a minute and try again."), 429
        )
        # the limit's whole window: an upper bound of the wait, and cheap to know
        return page, status, {"Retry-After": str(error.limit.limit.get_expiry())}

    server.before_request(_gate)
    server.register_error_handler(404, _not_found)
    server.register_error_handler(500, _server_error)
    if settings.trust_proxy:
        # behind one reverse proxy: its X-Forwarded-For/-Proto are the client's address and
        # scheme (the rate limit keys on the address; cookies turn Secure over HTTPS)
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    page = render_template(
        "error.html", _=_, title=title, message=message, language=i18n.current(), rtl=i18n.is_rtl()
    )
    return page, status


def _not_found(_error: Exception) -> Any:
    return _error_page(404, _("Page not found"), _("There is nothing at this address."))


def _server_error(_error: Exception) -> Any:
    return _error_page(
        500,
        _("Something went wrong"),
        _("The page could not be shown. Please try again; if it happens again, tell us."),
    )
