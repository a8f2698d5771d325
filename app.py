"""Business Lounge web application.

``create_app()`` builds everything (Flask server, sign-in, Dash pages);
``python app.py`` serves it with waitress on LOUNGE_HOST:LOUNGE_PORT (development, one
process); gunicorn serves :func:`wsgi` in production (gunicorn.conf.py, ``make run``).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import dash
from flask import Flask

from db import migrate
from db.session import Database
from lounge import i18n, settings
from lounge.components import shell
from lounge.notify import worker as notify_worker
from lounge.web import jobs
from lounge.web.acknowledge import init_acknowledge
from lounge.web.auth import init_auth
from lounge.web.context import DATABASE_KEY
from lounge.web.downloads import init_downloads
from lounge.web.hooks import init_hooks
from lounge.web.security import init_security, trust_inline_scripts
from lounge.web.survey_link import init_survey_link

PAGES = settings.ROOT / "lounge" / "pages"
ASSETS = settings.ROOT / "assets"


class LoungeDash(dash.Dash):
    """Dash with a page shell that follows the reader's language and direction."""

    def interpolate_index(self, *args: Any, **kwargs: Any) -> str:
        # Dash passes every part by keyword; *args keeps the override's signature compatible
        language = i18n.current()
        sheet = "bootstrap.rtl.min.css" if i18n.is_rtl(language) else "bootstrap.min.css"
        link = f'<link rel="stylesheet" href="/assets/vendor/{sheet}">\n'
        kwargs["css"] = link + kwargs.get("css", "")
        html: str = super().interpolate_index(*args, **kwargs)
        direction = "rtl" if i18n.is_rtl(language) else "ltr"
        return html.replace("<html>", f'<html lang="{language}" dir="{direction}">', 1)


def create_app(test_config: dict[str, Any] | None = None) -> LoungeDash:
    config = settings.load().with_(**(test_config or {}))
    database = Database(config.database_url)

    server = Flask(__name__, instance_path=str(settings.INSTANCE))
    server.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_NAME="lounge_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        MAX_CONTENT_LENGTH=config.max_request_bytes,
    )
    server.extensions[DATABASE_KEY] = database
    manager = server.extensions[jobs.MANAGER_KEY] = jobs.manager(config)
    init_security(server, config)  # first: a stale session ends before the gate looks
    init_auth(server, config)
    init_downloads(server)
    init_hooks(server)
    init_acknowledge(server)
    init_survey_link(server)

    app = LoungeDash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash documents a Flask instance here
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        assets_path_ignore=["vendor"],  # the bootstrap sheet is chosen per language
        serve_locally=True,
        title="Business Lounge",
        update_title="",  # the tab title stays put while callbacks run
        suppress_callback_exceptions=True,
        external_stylesheets=[],
        background_callback_manager=manager,
    )
    app.layout = shell.layout
    shell.register_callbacks(app)
    # Dash hands the callbacks its pages just registered (module-level, global) to
    # the first app that serves a request; serve one now, so that they belong to
    # this app even if another app is created in the same process (tests).
    server.test_client().get("/healthz")
    trust_inline_scripts(server, app.csp_hashes())
    return app


def wsgi() -> Flask:
    """The WSGI application for gunicorn (gunicorn.conf.py), one per worker process."""
    return create_app().server


def main() -> None:
    config = settings.load()
    engine = Database(config.database_url).engine
    if not migrate.is_current(engine):
        sys.exit("The database schema is missing or out of date: run `python -m lounge init-db`.")
    from waitress import serve

    app = create_app()
    if not config.celery_broker_url:  # the sender runs beside the development server
        notify_worker.start_local_mail_server(config)
        notify_worker.start_in_background(Database(config.database_url), config)
    print(f"Business Lounge is serving at http://{config.host}:{config.port}", flush=True)
    serve(app.server, host=config.host, port=config.port, threads=8)


if __name__ == "__main__":
    main()
