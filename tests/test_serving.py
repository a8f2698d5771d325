"""Point 16: gunicorn serves the lounge with worker processes configured by settings."""

from __future__ import annotations

import multiprocessing
import runpy

import pytest
from flask import Flask

from lounge.settings import ROOT


def test_gunicorn_runs_workers_per_core_with_threads_and_timeout_from_settings(
    db, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("LOUNGE_WORKERS_PER_CORE", "3")
    monkeypatch.setenv("LOUNGE_THREADS", "5")
    monkeypatch.setenv("LOUNGE_TIMEOUT_SECONDS", "45")
    monkeypatch.setenv("LOUNGE_PORT", "8123")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == 3 * multiprocessing.cpu_count()
    assert (config["threads"], config["timeout"], config["worker_class"]) == (5, 45, "gthread")
    assert config["bind"] == "127.0.0.1:8123"
    assert config["wsgi_app"] == "app:wsgi()"
    config["on_starting"](None)  # the migrated test database is current: no exit


def test_the_wsgi_factory_builds_the_whole_app(db, world):
    from app import wsgi

    server = wsgi()
    assert isinstance(server, Flask)
    assert server.test_client().get("/healthz").get_json() == {"status": "ok"}
