"""The OpenADR 2.0b VTN (``python -m lounge vtn``), built on openleadr.

openleadr speaks the protocol (XML, schema, signatures, TLS); every decision is taken in
:mod:`lounge.demand.openadr` over the database, one session per message, so that the VTN
keeps nothing of its own in memory and a restart loses nothing: events are handed out by our
own ``on_poll`` and ``on_request_event`` (openleadr's in-memory queue is not used).

TLS is required: VENs connect with a client certificate signed by the configured CA, and
openleadr checks on every message (after registration) that the certificate and the message's
signature are those of the VEN's approved registration. The database calls run in a worker
thread so that one slow query does not stall the other VENs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from openleadr import OpenADRServer, errors, objects

from db.session import Database
from lounge import access
from lounge.demand import openadr
from lounge.settings import Settings

T = TypeVar("T")

#: The DR programme the lounge's events belong to.
MARKET_CONTEXT = "http://lounge-electric.example/openadr/demand"


class NotConfigured(Exception):
    """The VTN lacks its certificate, key or CA file."""


def _required(settings: Settings) -> tuple[Path, Path, Path]:
    missing = [
        name
        for name, value in (
            ("LOUNGE_VTN_CERT", settings.vtn_cert),
            ("LOUNGE_VTN_KEY", settings.vtn_key),
            ("LOUNGE_VTN_CA_FILE", settings.vtn_ca_file),
        )
        if value is None or not Path(value).is_file()
    ]
    if missing:
        raise NotConfigured(
            "the VTN runs over TLS only; set " + ", ".join(missing) + " to existing PEM files"
        )
    assert settings.vtn_cert and settings.vtn_key and settings.vtn_ca_file
    return settings.vtn_cert, settings.vtn_key, settings.vtn_ca_file


class VTN:
    """One VTN over one database; :meth:`start` and :meth:`stop` in a running event loop."""

    def __init__(self, database: Database, settings: Settings) -> None:
        cert, key, ca_file = _required(settings)
        self.database = database
        self.settings = settings
        self.server = OpenADRServer(
            vtn_id=settings.vtn_id,
            cert=str(cert),
            key=str(key),
            http_cert=str(cert),
            http_key=str(key),
            http_ca_file=str(ca_file),
            http_host=settings.vtn_host,
            http_port=settings.vtn_port,
            requested_poll_freq=dt.timedelta(seconds=settings.vtn_poll_seconds),
            ven_lookup=self._ven_lookup,
            show_fingerprint=False,
        )
        self.server.add_handler("on_create_party_registration", self._register)
        self.server.add_handler("on_cancel_party_registration", self._cancel_registration)
        self.server.add_handler("on_poll", self._poll)
        self.server.add_handler("on_request_event", self._request_event)
        self.server.add_handler("on_created_event", self._created_event)

    @property
    def url(self) -> str:
        return f"https://{self.settings.vtn_host}:{self.settings.vtn_port}{self.server.http_path_prefix}"

    async def start(self) -> None:
        await self.server.run()

    async def stop(self) -> None:
        await self.server.stop()

    async def _in_session(self, work: Callable[..., T], *args: Any) -> T:
        def unit() -> T:
            with self.database.session() as session:
                return work(session, *args)

        return await asyncio.to_thread(unit)

    # --- openleadr's handlers -----------------------------------------------------------

    async def _ven_lookup(self, ven_id: str) -> dict[str, str] | None:
        found = await self._in_session(openadr.identity, ven_id)
        return asdict(found) if found else None

    async def _register(self, payload: dict[str, Any]) -> tuple[str, str] | bool:
        ven = await self._in_session(
            _registration, payload.get("ven_name") or "", payload.get("fingerprint")
        )
        return ven if ven is not None else False

    async def _cancel_registration(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The VEN cancels its registration (openleadr has checked its certificate already)."""
        ven_id, registration_id = payload.get("ven_id"), payload.get("registration_id")
        done = await self._in_session(openadr.cancel_registration, ven_id, registration_id)
        if not done:
            raise errors.InvalidIdError(f"no such registration for this VEN: {registration_id}")
        return "oadrCanceledPartyRegistration", {
            "registration_id": registration_id,
            "ven_id": ven_id,
        }

    async def _poll(self, ven_id: str) -> tuple[str, dict[str, Any]] | None:
        events = await self._in_session(_events, ven_id, True)
        if events is None:
            return None
        return "oadrDistributeEvent", {"events": events}

    async def _request_event(self, ven_id: str) -> list[dict[str, Any]] | None:
        events = await self._in_session(_events, ven_id, False)
        return events or None

    async def _created_event(self, ven_id: str, event_id: str, opt_type: str) -> None:
        try:
            await self._in_session(openadr.record_opt, ven_id, event_id, opt_type)
        except (access.NotFound, ValueError) as exc:
            raise errors.InvalidIdError(f"no such event for this VEN: {event_id}") from exc


def _registration(session: Any, ven_name: str, fingerprint: str | None) -> tuple[str, str] | None:
    ven = openadr.request_registration(session, ven_name, fingerprint)
    if ven is None or ven.ven_id is None or ven.registration_id is None:
        return None
    return ven.ven_id, ven.registration_id


def _events(session: Any, ven_id: str, only_if_changed: bool) -> list[dict[str, Any]] | None:
    views = openadr.events_for(session, ven_id, only_if_changed=only_if_changed)
    return None if views is None else [event_dict(view) for view in views]


def event_dict(view: openadr.EventView) -> dict[str, Any]:
    """An event as openleadr renders it: one SIMPLE level signal over the notice's window."""
    duration = view.ends_at - view.starts_at
    interval = objects.Interval(
        dtstart=view.starts_at, duration=duration, signal_payload=view.level
    )
    # the signal's value now: its level while the event is active, 0 before (OpenADR's rule)
    current = view.level if view.status == "active" else 0
    event = objects.Event(
        event_descriptor=objects.EventDescriptor(
            event_id=view.event_id,
            modification_number=view.modification_number,
            market_context=MARKET_CONTEXT,
            event_status=view.status,
            created_date_time=view.created_at,
            modification_date_time=view.modified_at,
            vtn_comment=view.comment,
        ),
        active_period=objects.ActivePeriod(dtstart=view.starts_at, duration=duration),
        event_signals=[
            objects.EventSignal(
                intervals=[interval],
                signal_name="SIMPLE",
                signal_type="level",
                signal_id=f"{view.event_id}-simple",
                current_value=current,
            )
        ],
        targets=[objects.Target(ven_id=view.ven_id, resource_id=view.site_id)],
        response_required="always",
    )
    rendered = asdict(event)
    # openleadr derives the status from the clock, which knows nothing of a cancellation
    rendered["event_descriptor"]["event_status"] = view.status
    return rendered


async def serve(vtn: VTN) -> None:
    """Run the VTN until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await vtn.start()
    try:
        await stop.wait()
    finally:
        await vtn.stop()
