"""``python -m lounge ...``: the administrator's command line.

Each command opens one session (one transaction) and exits non-zero with a
message on stderr when anything is wrong; nothing is half done.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import migrate
from db.models import Role, Site
from db.session import Database
from lounge import (
    access,
    admin,
    ingest,
    localtime,
    membership,
    reporting,
    rollups,
    settings,
    users,
)
from lounge.ingest.problems import ImportRejected
from lounge.notify import worker as notify_worker


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _viewer() -> access.Viewer:
    """The command line acts as an administrator, named after the operating-system user."""
    return access.Viewer(0, _actor(), Role.ADMIN)


@contextmanager
def _database(check_schema: bool = True) -> Iterator[Database]:
    database = Database(settings.load().database_url)
    try:
        if check_schema and not migrate.is_current(database.engine):
            raise click.ClickException(
                "the database schema is missing or out of date; run: python -m lounge init-db"
            )
        yield database
    finally:
        database.dispose()


@contextmanager
def _session() -> Iterator[Session]:
    with _database() as database, database.session() as session:
        yield session


@click.group()
def main() -> None:
    """Business Lounge administration."""


@main.command("init-db")
def init_db() -> None:
    """Create the database or bring its schema up to date."""
    with _database(check_schema=False) as database:
        migrate.upgrade(database.engine)
    click.echo("database is up to date")


@main.command()
@click.option("--customers", "count", type=click.IntRange(min=10), default=300, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when customers already exist.")
def demo(count: int, seed: int, if_empty: bool) -> None:
    """Fill the database with realistic demo data and print the demo logins."""
    from db import demo as demo_data

    with _database() as database:
        with database.session() as session:
            present = demo_data.has_customers(session)
            if present and not if_empty:
                raise click.ClickException(
                    "the database already has customers; demo needs it empty"
                )
            logins = demo_data.existing_logins(session) if present else None
        if logins is None:
            click.echo("generating demo data...")
            logins = demo_data.generate(
                database, customers=count, seed=seed, today=localtime.today()
            )
            click.echo("demo data ready.")
        else:
            click.echo("the database already has customers; no demo data added.")
    if logins:
        click.echo(f"Demo logins (password for all: {demo_data.PASSWORD}):")
        for role, email in logins:
            click.echo(f"  {role:<16} {email}")


@main.command("import")
@click.argument("kind", type=click.Choice(sorted(ingest.KINDS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_id", help="The site that receives a greenbutton file's readings.")
def import_(kind: str, file: Path, site_id: str | None) -> None:
    """Import a CSV file (customers, sites or readings) or a Green Button XML file
    (greenbutton, with --site): all rows or none."""
    if kind == ingest.GREENBUTTON and site_id is None:
        raise click.UsageError("greenbutton needs --site: the site that receives the readings")
    if kind != ingest.GREENBUTTON and site_id is not None:
        raise click.UsageError(f"--site is only for greenbutton; {kind} files name their sites")
    try:
        with _session() as session:
            summary = ingest.import_file(
                session, kind, file.read_bytes(), file.name, _actor(), site_id
            )
    except ImportRejected as rejected:
        click.echo(rejected.report(), err=True)
        sys.exit(1)
    click.echo(str(summary))


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return localtime.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from exc


@main.command()
@click.option("--as-of", callback=_parse_date, help="Classification date (default: today).")
def classify(as_of: dt.date) -> None:
    """Apply the VIP rule to every customer as of a date; record entries and exits."""
    with _session() as session:
        result = admin.run_classification(session, _viewer(), as_of)
        click.echo(
            f"classified {result.run.customers} customers as of {as_of.isoformat()} "
            f"(window {result.window.start.isoformat()} to {result.window.last_day.isoformat()}): "
            f"{result.run.members} members, {len(result.entered)} entered, "
            f"{len(result.exited)} left"
        )
        if result.replayed:
            dates = ", ".join(day.isoformat() for day in result.replayed)
            click.echo(f"later dates classified again, so the status is the latest's: {dates}")


@main.command()
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option(
    "--mail-sandbox", is_flag=True, help="Also serve the local mail sandbox (no SMTP host set)."
)
def worker(once: bool, mail_sandbox: bool) -> None:
    """Send queued notifications (e-mail, SMS) until stopped with Ctrl-C or SIGTERM.

    With LOUNGE_CELERY_BROKER_URL set this is a Celery worker (with its beat schedule), which
    also runs the Administration page's background jobs; otherwise a loop in this process.
    """
    config = settings.load()
    if config.celery_broker_url and not once:
        settings.INSTANCE.mkdir(
            mode=0o700, parents=True, exist_ok=True
        )  # a fresh checkout has none
        beat_file = str(settings.INSTANCE / "celerybeat-schedule")
        celery = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--beat"]
        os.execv(sys.executable, [*celery, "--schedule", beat_file, "--loglevel=INFO"])
    mail = notify_worker.start_local_mail_server(config) if mail_sandbox else None
    with _database() as database:
        if once:
            click.echo(f"tried {notify_worker.drain_once(database, config)} messages")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"sending notifications every {config.notify_poll_seconds:g} s (Ctrl-C stops)")
        notify_worker.run(database, config, stop)
    if mail is not None:
        mail.stop()


@main.command()
def vtn() -> None:
    """Run the OpenADR 2.0b VTN until stopped with Ctrl-C or SIGTERM.

    Over TLS only: LOUNGE_VTN_CERT, LOUNGE_VTN_KEY (its certificate, which also signs its
    messages) and LOUNGE_VTN_CA_FILE (the CA of the VENs' client certificates);
    LOUNGE_VTN_HOST and LOUNGE_VTN_PORT say where it listens.
    """
    import asyncio

    from lounge.demand import vtn as vtn_server

    config = settings.load()
    with _database() as database:
        try:
            server = vtn_server.VTN(database, config)
        except vtn_server.NotConfigured as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"OpenADR VTN {config.vtn_id} at {server.url} (Ctrl-C stops)")
        asyncio.run(vtn_server.serve(server))


@main.group("vip")
def vip_group() -> None:
    """VIP membership: current list and history."""


_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["csv", "table"]), default="table", show_default=True
)


def _write(rows: list[dict[str, str]], header: list[str], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    widths = {h: max([len(h), *(len(r[h]) for r in rows)]) for h in header}
    click.echo("  ".join(h.ljust(widths[h]) for h in header))
    for row in rows:
        click.echo("  ".join(row[h].ljust(widths[h]) for h in header))


@vip_group.command("list")
@_FORMAT
def vip_list(fmt: str) -> None:
    """Every customer with its status and the figures of the latest classification."""
    with _session() as session:
        rows = [row.as_csv() for row in membership.memberships(session, access.SYSTEM)]
    _write(rows, membership.LIST_COLUMNS, fmt)


@vip_group.command("history")
@click.option("--customer", "customer_id", help="Only this customer.")
@_FORMAT
def vip_history(customer_id: str | None, fmt: str) -> None:
    """Entries and exits, oldest first."""
    with _session() as session:
        if customer_id is not None:
            try:
                access.get_customer(session, access.SYSTEM, customer_id)
            except access.NotFound as exc:
                raise click.ClickException(f"unknown customer '{customer_id}'") from exc
        rows = [
            membership.history_csv(event)
            for event, _name in membership.events(session, access.SYSTEM, customer_id)
        ]
    _write(rows, membership.HISTORY_COLUMNS, fmt)


@main.group("rollups")
def rollups_group() -> None:
    """Daily and monthly consumption rollups (imports keep them current)."""


@rollups_group.command("rebuild")
@click.option("--site", "site_id", help="Only this site (default: every site).")
def rollups_rebuild(site_id: str | None) -> None:
    """Recompute the rollups from the stored readings, e.g. after an upgrade that
    changed how they are built (hourly profiles of days written before)."""
    with _session() as session:
        if site_id is None:
            site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))
        else:
            try:
                site_ids = [access.get_site(session, access.SYSTEM, site_id).id]
            except access.NotFound as exc:
                raise click.ClickException(f"unknown site '{site_id}'") from exc
        summary = rollups.rebuild_sites(session.connection(), site_ids)
    click.echo(f"rebuilt the rollups of {summary.sites} site(s) from {summary.readings} reading(s)")


@main.command()
@click.argument("kind", type=click.Choice(sorted(reporting.KINDS)))
@click.option("--customer", "customer_id", required=True)
@click.option("--from", "first", required=True, help="First month, YYYY-MM.")
@click.option("--to", "last", required=True, help="Last month, YYYY-MM.")
@click.option(
    "--group-by", type=click.Choice(["region", "site_type"]), default=None, help="Group the sites."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "pdf", "xlsx"]), default="pdf", show_default=True
)
@click.option(
    "--language",
    type=click.Choice(list(settings.LANGUAGES)),
    default=None,
    help="Default: the customer's language.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def report(
    kind: str,
    customer_id: str,
    first: str,
    last: str,
    group_by: str | None,
    fmt: str,
    language: str | None,
    output: Path,
) -> None:
    """Write a report of a customer for a period, the same as the Reports page gives."""
    from lounge import exports
    from reports.report import build_report

    writers = {"pdf": build_report, "csv": exports.to_csv, "xlsx": exports.to_xlsx}
    try:
        wanted = reporting.ReportRequest.parse(kind, customer_id, first, last, group_by or "")
        with _session() as session:
            customer = access.get_customer(session, _viewer(), wanted.customer_id)
            document = reporting.build(session, _viewer(), wanted, language or customer.language)
    except reporting.ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    except access.NotFound as exc:
        raise click.ClickException(f"unknown customer '{customer_id}'") from exc
    output.write_bytes(writers[fmt](document))
    rows = sum(len(section.rows) for section in document.sections)
    click.echo(f"wrote {output} ({document.title}: {len(document.sections)} sections, {rows} rows)")


@main.group("users")
def users_group() -> None:
    """People who sign in."""


@users_group.command("add")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--customer", "customer_id", help="The customer of a client user.")
@click.option("--name", "full_name", default="")
@click.option("--language", default="en", type=click.Choice(list(settings.LANGUAGES)))
def users_add(
    email: str, role: str, customer_id: str | None, full_name: str, language: str
) -> None:
    """Add a user; the password is read from standard input."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise click.ClickException("the passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        with _session() as session:
            user = users.create_user(
                session,
                email=email,
                role=role,
                password=password,
                customer_id=customer_id,
                full_name=full_name,
                language=language,
                actor=_actor(),
            )
            click.echo(f"added {user.role} {user.email}")
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc


@users_group.command("assign")
@click.option("--manager", "manager_email", required=True, help="The account manager's e-mail.")
@click.argument("customer_ids", nargs=-1, required=True)
def users_assign(manager_email: str, customer_ids: tuple[str, ...]) -> None:
    """Make an account manager the personal manager of customers."""
    try:
        with _session() as session:
            count = users.assign_manager(session, manager_email, list(customer_ids), _actor())
    except users.UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{manager_email} now manages {count} more customer(s)")


@users_group.command("list")
def users_list() -> None:
    with _session() as session:
        for user in users.list_users(session):
            click.echo(f"{user.role:<16} {user.email:<40} {user.customer_id or ''}")
