"""Background jobs: child processes of the web server below its CPU priority; on Celery, a
real worker process, a real Redis, one import end to end.

The Celery test is skipped when no Redis answers at 127.0.0.1:6379 (or
``LOUNGE_TEST_REDIS_URL``), failing instead when ``LOUNGE_REQUIRE_POSTGRES=1`` (CI, which
runs every service).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import AuditLog, Customer
from lounge.web import jobs
from tests.web_fixtures import call, sign_in

ROOT = Path(__file__).resolve().parent.parent
IMPORT = "..admin-import-result.children...admin-upload.contents.."


@pytest.fixture
def worker(db, broker):
    env = {**os.environ, "LOUNGE_CELERY_BROKER_URL": broker, "LOUNGE_DATABASE_URL": db.url}
    command = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo"]
    process = subprocess.Popen(
        [*command, "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
    )
    yield broker
    process.terminate()
    process.wait(timeout=30)


# one backend is enough here: the jobs' database work is tested on both in test_web_access
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_celery_worker_runs_an_import_from_the_admin_page(db, world, worker):
    from app import create_app

    app = create_app(
        {"database_url": db.url, "login_rate_limit": "1000 per minute", "celery_broker_url": worker}
    )
    client = app.server.test_client()
    sign_in(client, "admin@a.test")
    text = "customer_id,name,tax_id\nCX,Celery Co,777\n"
    response = call(
        client,
        IMPORT,
        {
            "admin-upload.contents": "data:text/csv;base64,"
            + base64.b64encode(text.encode()).decode()
        },
        {"admin-upload.filename": "celery.csv", "admin-import-kind.value": "customers"},
    )
    assert "1 new" in response.get_data(as_text=True)
    with db.session() as session:
        assert session.get(Customer, "CX").name == "Celery Co"
        assert session.scalar(
            select(AuditLog.actor).where(AuditLog.action == "import.customers")
        ) == ("admin@a.test")


def _write_niceness(path: str) -> None:
    Path(path).write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))


def test_a_job_in_a_child_of_the_web_server_runs_below_the_web(tmp_path, monkeypatch):
    from dash import DiskcacheManager
    from multiprocess import Process

    started = []
    monkeypatch.setattr(
        DiskcacheManager, "call_job_fn", lambda self, key, fn, args, context: started.append(fn)
    )
    monkeypatch.setattr(jobs, "_caller", lambda: None)  # outside a request
    jobs.LoungeDiskcacheManager(None).call_job_fn("key", _write_niceness, [], {})
    (job,) = started
    web = os.getpriority(os.PRIO_PROCESS, 0)
    child = Process(target=job, args=(str(tmp_path / "nice"),))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert int((tmp_path / "nice").read_text()) >= max(web, jobs.JOB_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, 0) == web  # the web process keeps its priority
