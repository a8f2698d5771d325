"""Running the senders: the loop a worker process or thread runs, and what it sends through.

One loop serves every way of running: ``python -m lounge worker`` in the foreground, a thread in
the web server for ``make run`` (so the demo needs nothing else), or Celery tasks on Redis for
more than one machine. Claims in the outbox keep any number of them from sending a message twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from aiosmtpd.controller import Controller

from db.models import Channel, utcnow
from db.session import Database
from lounge.notify import attachments, delivery, outbox
from lounge.notify.channels import SmsGateway, senders
from lounge.notify.email import SmtpServer
from lounge.notify.gateway import HttpSmsGateway
from lounge.notify.outbox import Sender
from lounge.notify.sandbox import SmsSandbox, serve_mail
from lounge.settings import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def configured_senders(config: Settings) -> dict[Channel, Sender]:
    """SMTP and the SMS gateway as configured; the local sandboxes where none is."""
    server = SmtpServer(
        host=config.smtp_host or "127.0.0.1",
        port=config.smtp_port,
        sender=config.mail_from,
        starttls=config.smtp_starttls,
        user=config.smtp_user,
        password=config.smtp_password,
    )
    gateway: SmsGateway = (
        HttpSmsGateway(config.sms_gateway_url, config.sms_gateway_token or "")
        if config.sms_gateway_url
        else SmsSandbox(
            config.sandbox_dir / "sms",
            delivery.poster(config.public_url.rstrip("/") + delivery.PATH, config.sms_report_key),
        )
    )
    return senders(server, gateway)


def drain_once(database: Database, config: Settings) -> int:
    """Send whatever is due now; the unit of work of a Celery task and of each loop turn. The
    e-mails' PDFs are rendered ahead on a thread that ends with the drain."""
    with attachments.rendering_ahead() as prepare:
        return outbox.drain(
            database,
            configured_senders(config),
            worker_name(),
            lease=dt.timedelta(seconds=config.notify_lease_seconds),
            connections=config.notify_connections,
            prepare=prepare,
        )


def issue_scheduled(database: Database, config: Settings) -> int:
    """Issue the demand notices scheduled for now or earlier; their messages join the outbox."""
    from lounge.demand import notices  # the notices' domain loads only where it runs
    from lounge.demand.links import Links

    with database.session() as session:
        issued = notices.issue_due(session, Links(config.public_url, config.secret_key), utcnow())
    return len(issued)


def run(database: Database, config: Settings, stop: threading.Event) -> None:
    """Issue what is scheduled, drain, wait ``notify_poll_seconds``, repeat until ``stop`` is
    set; errors never end it."""
    while not stop.is_set():
        try:
            issue_scheduled(database, config)
            drain_once(database, config)
        except Exception:  # a database restart must not kill the sender for good
            log.exception("sending notifications failed; trying again")
        stop.wait(config.notify_poll_seconds)


def start_local_mail_server(config: Settings) -> Controller | None:
    """The local mail server, when no real one is configured and none listens yet."""
    if config.smtp_host:
        return None
    try:
        controller = serve_mail(config.sandbox_dir / "mail", config.smtp_port)
    except (OSError, RuntimeError):  # another process of this server already serves it
        log.info("local mail sandbox already running on port %s", config.smtp_port)
        return None
    log.info("local mail sandbox keeps mail in %s", config.sandbox_dir / "mail")
    return controller


def start_in_background(database: Database, config: Settings) -> threading.Event:
    """The embedded default: a sender thread in this process; set the event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run, args=(database, config, stop), name="notify", daemon=True).start()
    return stop
