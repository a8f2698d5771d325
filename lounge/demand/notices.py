"""The life of a notice: drafted, scheduled, issued, updated, cancelled, completed.

Only demand staff (and administrators) draft and move notices; every move is recorded in the
audit log with who and when, and its messages are written through the outbox in the same
transaction. Issuing is one conditional ``UPDATE ... WHERE state IN (draft, scheduled)`` that also
carries the notice-period rule, so two requests (a double click, the scheduler and a person)
issue a notice once: on PostgreSQL the second waits for the first's row lock and then finds the
state changed; SQLite runs the statement under its single writer lock. The targets (sites, with
their load at stake) and recipients are written by the request that won.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Update, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from db.models import (
    Notice,
    NoticeAcknowledgement,
    NoticeKind,
    NoticeState,
    NoticeTarget,
)
from lounge import access, audit
from lounge.access import SYSTEM, Viewer
from lounge.demand import openadr, rules
from lounge.demand.links import Links
from lounge.demand.rules import NoticeRefused
from lounge.demand.targeting import Targeting, load_at_stake, sites_query
from lounge.i18n import _
from lounge.notify import demand as messages

STAFF = access.REGION_ROLES
WAITING = (NoticeState.DRAFT, NoticeState.SCHEDULED)
OPEN = (NoticeState.ISSUED, NoticeState.UPDATED)


class AlreadyIssued(NoticeRefused):
    """The notice left draft before this request could issue it (issued once, not twice)."""


@dataclass(frozen=True)
class Draft:
    """What the staff's form says of a notice."""

    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    targeting: Targeting
    level: int | None = None
    reason: str | None = None
    reduction_kw: int | None = None
    reduction_pct: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Change:
    """An update of an issued notice: its window, level, reduction asked for and note."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    level: int | None = None
    reduction_kw: int | None = None
    reduction_pct: int | None = None
    note: str = ""


def _changed(session: Session, statement: Update) -> int:
    """How many rows a conditional update changed (0: its condition no longer held)."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def _check(draft: Draft) -> None:
    rules.check_fields(
        draft.kind,
        draft.starts_at,
        draft.ends_at,
        draft.level,
        draft.reason,
        draft.reduction_kw,
        draft.reduction_pct,
    )
    if draft.targeting.is_empty:
        raise NoticeRefused(_("Choose whom the notice is for: regions, sites, segments or types."))


def _fill(notice: Notice, draft: Draft) -> None:
    peak = draft.kind == NoticeKind.PEAK_WARNING
    notice.kind = draft.kind
    notice.starts_at = draft.starts_at
    notice.ends_at = draft.ends_at
    notice.level = draft.level if peak else None
    notice.reason = draft.reason if peak else None
    notice.reduction_kw = draft.reduction_kw
    notice.reduction_pct = draft.reduction_pct
    notice.note = draft.note.strip()
    notice.regions = list(draft.targeting.regions)
    notice.site_ids = list(draft.targeting.site_ids)
    notice.segments = list(draft.targeting.segments)
    notice.site_types = list(draft.targeting.site_types)
    notice.members_only = draft.targeting.members_only


def get(session: Session, viewer: Viewer, notice_id: object) -> Notice:
    """A notice for the staff who handle notices; anyone else finds none."""
    access.require(viewer, *STAFF)
    if not isinstance(notice_id, int) or isinstance(notice_id, bool):
        raise access.NotFound(notice_id)
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise access.NotFound(notice_id)
    return notice


def create(session: Session, viewer: Viewer, draft: Draft) -> Notice:
    access.require(viewer, *STAFF)
    _check(draft)
    notice = Notice(created_by=viewer.email, state=NoticeState.DRAFT, revision=0)
    _fill(notice, draft)
    session.add(notice)
    session.flush()
    audit.record(session, viewer.email, "notice.draft", f"notice:{notice.id}", kind=draft.kind)
    return notice


def edit(session: Session, viewer: Viewer, notice_id: object, draft: Draft) -> Notice:
    """Change a notice that has not gone out yet (a draft, or a scheduled one)."""
    notice = get(session, viewer, notice_id)
    if notice.state not in WAITING:
        raise NoticeRefused(_("This notice has gone out; send an update instead."))
    _check(draft)
    _fill(notice, draft)
    audit.record(session, viewer.email, "notice.edit", f"notice:{notice.id}")
    return notice


def schedule(
    session: Session, viewer: Viewer, notice_id: object, at: dt.datetime, now: dt.datetime
) -> Notice:
    """Have the periodic job issue the notice at ``at`` (the notice period counts from then)."""
    notice = get(session, viewer, notice_id)
    if notice.state not in WAITING:
        raise NoticeRefused(_("Only a notice that has not gone out can be scheduled."))
    if at <= now:
        raise NoticeRefused(_("Schedule the notice for a time still to come."))
    if at >= notice.ends_at:
        raise NoticeRefused(_("Schedule the notice before its window ends."))
    rules.check_notice_period(notice.kind, notice.starts_at, at)
    notice.state = NoticeState.SCHEDULED
    notice.scheduled_at = at
    audit.record(session, viewer.email, "notice.schedule", f"notice:{notice.id}", at=at.isoformat())
    return notice


@dataclass(frozen=True)
class Issued:
    notice_id: int
    sites: int
    messages: int


def issue(
    session: Session, viewer: Viewer, notice_id: object, links: Links, now: dt.datetime
) -> Issued:
    """Send the notice now: its targets frozen, its messages in the outbox, once."""
    access.require(viewer, *STAFF)
    if not isinstance(notice_id, int) or isinstance(notice_id, bool):
        raise access.NotFound(notice_id)
    earliest = rules.earliest_planned_start(now)
    won = _changed(
        session,
        update(Notice)
        .where(
            Notice.id == notice_id,
            Notice.state.in_(WAITING),
            or_(Notice.kind != NoticeKind.PLANNED_OUTAGE, Notice.starts_at >= earliest),
        )
        .values(state=NoticeState.ISSUED, issued_at=now, issued_by=viewer.email)
        .execution_options(synchronize_session=False),
    )
    notice = get(session, viewer, notice_id)
    if not won:
        if notice.state not in WAITING:
            raise AlreadyIssued(_("This notice has already been issued."))
        rules.check_notice_period(notice.kind, notice.starts_at, now)
        raise NoticeRefused(_("This notice cannot be issued now."))  # pragma: no cover
    session.refresh(notice)
    targeting = Targeting.of(notice)
    chosen = sites_query(targeting)
    session.execute(
        insert(NoticeTarget).from_select(
            ["notice_id", "site_id", "customer_id", "region"],
            chosen.with_only_columns(
                literal(notice.id, NoticeTarget.notice_id.type), *chosen.selected_columns
            ),
        )
    )
    loads = load_at_stake(
        session,
        select(NoticeTarget.site_id).where(NoticeTarget.notice_id == notice.id),
        notice.starts_at,
        notice.ends_at,
    )
    if loads:
        session.execute(
            update(NoticeTarget),
            [
                {"notice_id": notice.id, "site_id": site, "load_w": load}
                for site, load in loads.items()
            ],
        )
    sites = session.scalar(select(func.count()).where(NoticeTarget.notice_id == notice.id)) or 0
    written = messages.issued(session, notice, links)
    openadr.publish(session, notice, now)
    audit.record(
        session,
        viewer.email,
        "notice.issue",
        f"notice:{notice.id}",
        sites=sites,
        messages=written,
        scheduled=notice.scheduled_at is not None and viewer is SYSTEM,
    )
    return Issued(notice.id, sites, written)


def issue_due(session: Session, links: Links, now: dt.datetime) -> list[int]:
    """Issue every scheduled notice whose time has come (the periodic job); returns their ids.
    One that the notice period now refuses goes back to draft, with the reason in the log."""
    done = []
    due = session.scalars(
        select(Notice.id)
        .where(Notice.state == NoticeState.SCHEDULED, Notice.scheduled_at <= now)
        .order_by(Notice.scheduled_at, Notice.id)
    ).all()
    for notice_id in due:
        try:
            with session.begin_nested():
                issue(session, SYSTEM, notice_id, links, now)
            done.append(notice_id)
        except AlreadyIssued:
            continue
        except NoticeRefused as refused:
            notice = session.get(Notice, notice_id)
            if notice is not None:
                notice.state = NoticeState.DRAFT
                notice.scheduled_at = None
            audit.record(
                session, SYSTEM.email, "notice.refused", f"notice:{notice_id}", reason=str(refused)
            )
    return done


def _move(
    session: Session,
    viewer: Viewer,
    notice_id: object,
    revision: object,
    allowed: tuple[str, ...],
    values: dict[str, object],
) -> Notice:
    """Move the notice from one of ``allowed`` states if still at ``revision`` (the one the
    staff saw): two clicks or two people make one change, the second is refused."""
    notice = get(session, viewer, notice_id)
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise NoticeRefused(_("Reload the notice and try again."))
    moved = _changed(
        session,
        update(Notice)
        .where(Notice.id == notice.id, Notice.state.in_(allowed), Notice.revision == revision)
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    if not moved:
        raise NoticeRefused(_("The notice changed meanwhile; reload it and try again."))
    session.refresh(notice)
    return notice


def change(
    session: Session,
    viewer: Viewer,
    notice_id: object,
    revision: object,
    new: Change,
    links: Links,
    now: dt.datetime,
) -> Notice:
    """Update an issued notice; the update goes to exactly the recipients of the original."""
    notice = get(session, viewer, notice_id)
    rules.check_fields(
        notice.kind,
        new.starts_at,
        new.ends_at,
        new.level if notice.kind == NoticeKind.PEAK_WARNING else None,
        notice.reason,
        new.reduction_kw,
        new.reduction_pct,
    )
    if new.starts_at != notice.starts_at:
        rules.check_notice_period(notice.kind, new.starts_at, now)
    notice = _move(
        session,
        viewer,
        notice_id,
        revision,
        OPEN,
        {
            "state": NoticeState.UPDATED,
            "revision": Notice.revision + 1,
            "updated_at": now,
            "starts_at": new.starts_at,
            "ends_at": new.ends_at,
            "level": new.level if notice.kind == NoticeKind.PEAK_WARNING else None,
            "reduction_kw": new.reduction_kw,
            "reduction_pct": new.reduction_pct,
            "note": new.note.strip(),
        },
    )
    written = messages.follow_up(session, notice, messages.UPDATED, links)
    openadr.publish(session, notice, now)
    audit.record(
        session,
        viewer.email,
        "notice.update",
        f"notice:{notice.id}",
        revision=notice.revision,
        starts_at=new.starts_at.isoformat(),
        ends_at=new.ends_at.isoformat(),
        messages=written,
    )
    return notice


def cancel(
    session: Session,
    viewer: Viewer,
    notice_id: object,
    revision: object,
    links: Links,
    now: dt.datetime,
    note: str = "",
) -> Notice:
    """Cancel a notice: one that went out tells exactly its recipients; a draft just closes."""
    before = get(session, viewer, notice_id).state
    values: dict[str, object] = {"state": NoticeState.CANCELLED, "cancelled_at": now}
    if note.strip():
        values["note"] = note.strip()
    notice = _move(session, viewer, notice_id, revision, (*WAITING, *OPEN), values)
    written = 0
    if before in OPEN:
        written = messages.follow_up(session, notice, messages.CANCELLED, links)
        openadr.publish(session, notice, now)
    audit.record(session, viewer.email, "notice.cancel", f"notice:{notice.id}", messages=written)
    return notice


def complete(
    session: Session,
    viewer: Viewer,
    notice_id: object,
    revision: object,
    links: Links,
    now: dt.datetime,
) -> Notice:
    """The event is over: its recipients are thanked, and it leaves the clients' current list.
    Completed before its window's end, its OpenADR event ends now (or is called off, had it not
    begun), so that automated sites stop shedding load too."""
    notice = _move(
        session,
        viewer,
        notice_id,
        revision,
        OPEN,
        {"state": NoticeState.COMPLETED, "completed_at": now},
    )
    written = messages.follow_up(session, notice, messages.COMPLETED, links)
    openadr.publish(session, notice, now)
    audit.record(session, viewer.email, "notice.complete", f"notice:{notice.id}", messages=written)
    return notice


@dataclass(frozen=True)
class NoticeLine:
    """A notice in the staff's list, with how far its acknowledgements have come."""

    notice: Notice
    customers: int
    acknowledged: int
    load_w: int
    planned_kw: int


def listing(session: Session, viewer: Viewer, limit: int = 200) -> list[NoticeLine]:
    """Every notice, newest window first, with its customers and acknowledgements."""
    access.require(viewer, *STAFF)
    targets = (
        select(
            NoticeTarget.notice_id,
            func.count(func.distinct(NoticeTarget.customer_id)).label("customers"),
            func.coalesce(func.sum(NoticeTarget.load_w), 0).label("load_w"),
        )
        .group_by(NoticeTarget.notice_id)
        .subquery()
    )
    acks = (
        select(
            NoticeAcknowledgement.notice_id,
            func.count().label("acknowledged"),
            func.coalesce(func.sum(NoticeAcknowledgement.planned_kw), 0).label("planned_kw"),
        )
        .group_by(NoticeAcknowledgement.notice_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Notice,
            func.coalesce(targets.c.customers, 0),
            func.coalesce(acks.c.acknowledged, 0),
            func.coalesce(targets.c.load_w, 0),
            func.coalesce(acks.c.planned_kw, 0),
        )
        .outerjoin(targets, targets.c.notice_id == Notice.id)
        .outerjoin(acks, acks.c.notice_id == Notice.id)
        .order_by(Notice.starts_at.desc(), Notice.id.desc())
        .limit(limit)
    ).all()
    return [NoticeLine(n, int(c), int(a), int(w), int(p)) for n, c, a, w, p in rows]
