"""Demand-management notices: the messages an issue, an update, a cancellation or a completion
writes, in the caller's transaction.

At issue, every contact of every targeted customer hears on the channels they chose for the
notice's topic (warnings or outages), with a signed link to acknowledge; the customer's users get
it in the lounge. Each message's recipient is stored (:class:`NoticeRecipient`): the follow-ups
are written for exactly those, in the language and over the channel and address of the original,
and for nobody else (a contact added since does not get a cancellation of what they never got).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from db.models import (
    Channel,
    Contact,
    Customer,
    Notice,
    NoticeKind,
    NoticeRecipient,
    NoticeTarget,
    Role,
    Site,
    User,
)
from lounge import i18n, labels, localtime
from lounge.company import COMPANY
from lounge.demand.links import Links
from lounge.demand.targeting import topic_of
from lounge.i18n import _
from lounge.notify import fanout, outbox, sms
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered, rendered
from lounge.settings import TIMEZONE

ISSUED, UPDATED, CANCELLED, COMPLETED = (
    "notice_issued",
    "notice_updated",
    "notice_cancelled",
    "notice_completed",
)
#: The templates this module writes (the notifications page previews them too).
KINDS_OF_MESSAGE = (ISSUED, UPDATED, CANCELLED, COMPLETED)
#: Sites named in a message before "and N more".
SITES_NAMED = 3


@dataclass(frozen=True)
class About:
    """What every message about one notice to one customer says, before it is put in a language."""

    kind: str
    level: int | None
    reason: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    reduction_kw: int | None
    reduction_pct: int | None
    note: str
    customer: str
    sites: tuple[str, ...]
    link: str

    @classmethod
    def of(cls, notice: Notice, customer: str, sites: tuple[str, ...], link: str) -> About:
        return cls(
            notice.kind,
            notice.level,
            notice.reason,
            notice.starts_at,
            notice.ends_at,
            notice.reduction_kw,
            notice.reduction_pct,
            notice.note,
            customer,
            sites,
            link,
        )


def window(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """ "2 Dec 2026, 14:00 – 18:00" in Israel time (the end's date only when it differs)."""
    return _window(starts_at, ends_at, i18n.current())


@functools.lru_cache(maxsize=256)
def _window(starts_at: dt.datetime, ends_at: dt.datetime, language: str) -> str:
    """Formatted once per notice and language, not once per message."""
    last = localtime.local_day(ends_at - dt.timedelta(seconds=1))
    same_day = localtime.local_day(starts_at) == last
    finish = i18n.format_time(ends_at) if same_day else i18n.format_datetime(ends_at, "short")
    return f"{i18n.format_datetime(starts_at, 'short')} – {finish}"


def name_sites(sites: tuple[str, ...], count: int = SITES_NAMED) -> str:
    """ "Store 1, Store 2, Store 3 and 4 more sites"."""
    named = ", ".join(sites[:count])
    if len(sites) > count:
        named = _("{named} and {count} more sites").format(named=named, count=len(sites) - count)
    return named


#: How much of the window a text message gives, most first: the whole window, its start, its day.
SMS_DETAILS = (2, 1, 0)


def sms_window(starts_at: dt.datetime, ends_at: dt.datetime, detail: int = 2) -> str:
    """The window as a text message gives it, in Israel time: "24 Dec 14:00-18:00" (in Hebrew,
    whose messages hold 70 characters, "24.12 14-18"); the end's day only when it differs; with
    ``detail`` 1 the start only, 0 the day only. GSM characters only (a hyphen, not a dash)."""
    compact = i18n.is_rtl()
    start, end = starts_at.astimezone(TIMEZONE), ends_at.astimezone(TIMEZONE)

    def day(moment: dt.datetime) -> str:
        return (
            f"{moment.day}.{moment.month}" if compact else i18n.format_date(moment.date(), "d MMM")
        )

    def clock(moment: dt.datetime) -> str:
        if compact and moment.minute == 0:
            return str(moment.hour)
        return f"{moment.hour}:{moment.minute:02}" if compact else moment.strftime("%H:%M")

    if detail == 0:
        return day(start)
    if detail == 1:
        return f"{day(start)} {clock(start)}"
    last = localtime.local_day(ends_at - dt.timedelta(seconds=1))
    finish = clock(end) if last == start.date() else f"{day(end)} {clock(end)}"
    return f"{day(start)} {clock(start)}-{finish}"


def facts(about: About, sms_detail: int = 2) -> dict[str, str]:
    """The facts of ``about`` as the active language writes them (``sms_detail``: how much of
    the window the text message gives, :func:`sms_window`)."""
    ask = ""
    if about.reduction_kw:
        ask = " " + _("Please reduce your load by {kw} kW in this window.").format(
            kw=i18n.format_number(about.reduction_kw)
        )
    elif about.reduction_pct:
        ask = " " + _("Please reduce your load by {pct}% in this window.").format(
            pct=about.reduction_pct
        )
    named = name_sites(about.sites)
    return {
        "title": labels.notice_title(about.kind, about.level, about.reason),
        "window": window(about.starts_at, about.ends_at),
        "short": labels.notice_short_title(about.kind, about.level),
        "when": sms_window(about.starts_at, about.ends_at, sms_detail),
        "ask": ask,
        "sites": named or "—",
        "customer": about.customer,
        "company": _(COMPANY.name),
        "note": "\n\n" + about.note if about.note else "",
        "link": about.link,
    }


def sample_facts(kind: str, language: str, name: str, customer: str) -> dict[str, str]:
    """A preview's facts: a level-2 heat warning for two stores, by the same code as a real one."""
    start = dt.datetime(2026, 7, 14, 11, 0, tzinfo=dt.UTC)
    about = About(
        NoticeKind.PEAK_WARNING,
        2,
        "heat",
        start,
        start + dt.timedelta(hours=4),
        200,
        None,
        "",
        customer,
        ("Store 12", "Store 14") if language == "en" else ("סניף 12", "סניף 14"),
        "https://lounge.example/ack/x",
    )
    with i18n.use(language):
        return facts(about) | {"name": name}


def _facts_to(about: About, detail: int, name: str) -> dict[str, str]:
    return facts(about, detail) | {"name": name}


def rendered_for(kind: str, wanted: str, name: str, about: About) -> Rendered:
    """``kind`` about ``about`` to ``name`` in the reader's language, its text message in one
    part: when the whole window does not fit (a long address, a window over several days), the
    message gives its start, or else its day; the link is always there."""
    for detail in SMS_DETAILS:
        text = rendered(kind, wanted, functools.partial(_facts_to, about, detail, name))
        if sms.segment(text.sms).count == 1:
            break
    return text


def _source(notice: Notice, kind: str) -> str:
    return f"notice:{notice.id}:{notice.revision}:{kind.removeprefix('notice_')}"


def _site_names(session: Session, notice_id: int) -> dict[str, tuple[str, ...]]:
    """The names of each customer's targeted sites."""
    names: dict[str, list[str]] = {}
    for customer_id, name in session.execute(
        select(NoticeTarget.customer_id, Site.name)
        .join(Site, Site.id == NoticeTarget.site_id)
        .where(NoticeTarget.notice_id == notice_id)
        .order_by(NoticeTarget.customer_id, Site.name)
    ):
        names.setdefault(customer_id, []).append(name)
    return {customer: tuple(found) for customer, found in names.items()}


def _customer_names(session: Session, customer_ids: Iterable[str]) -> dict[str, str]:
    return dict(
        session.execute(
            select(Customer.id, Customer.name).where(Customer.id.in_(list(customer_ids)))
        ).all()
    )


def _in_app(kind: str, notice: Notice, user: User, about: About) -> Message:
    text = rendered_for(kind, user.language, fanout.user_name(user), about)
    return fanout.to_user(
        user,
        text,
        topic_of(notice.kind),
        kind,
        _source(notice, kind),
        "/notices",
        user.customer_id,
    )


def issued(session: Session, notice: Notice, links: Links) -> int:
    """The messages of a notice's issue, to every contact and user of its targeted customers;
    stores who each went to. The targets must be written first."""
    sites = _site_names(session, notice.id)
    customers = _customer_names(session, sites)
    topic = topic_of(notice.kind)
    messages: list[Message] = []
    for contact in session.scalars(
        select(Contact)
        .where(Contact.customer_id.in_(list(sites)))
        .options(selectinload(Contact.channels))
        .order_by(Contact.customer_id, Contact.id)
    ):
        customer_id = contact.customer_id
        about = About.of(
            notice,
            customers[customer_id],
            sites[customer_id],
            links.ack(notice.id, customer_id, contact.id),
        )
        text = rendered_for(ISSUED, contact.language, contact.name, about)
        messages.extend(
            fanout.to_contact(contact, text, topic, ISSUED, _source(notice, ISSUED), about.link)
        )
    for user in session.scalars(
        select(User)
        .where(User.customer_id.in_(list(sites)), User.is_active, User.role == Role.CLIENT)
        .order_by(User.id)
    ):
        customer_id = user.customer_id or ""
        about = About.of(notice, customers[customer_id], sites[customer_id], "/notices")
        messages.append(_in_app(ISSUED, notice, user, about))
    stored = [
        {
            "notice_id": notice.id,
            "customer_id": message.customer_id,
            "contact_id": message.contact_id,
            "user_id": message.user_id,
            "channel": message.channel,
            "language": message.language,
            "recipient": message.recipient,
        }
        for message in messages
        if message.failure is None
    ]
    if stored:
        recipients = NoticeRecipient.metadata.tables[NoticeRecipient.__tablename__]
        session.execute(insert(recipients), stored)  # Core: no ORM work per row
    return outbox.enqueue(session, messages)


def follow_up(session: Session, notice: Notice, kind: str, links: Links) -> int:
    """``kind`` (updated, cancelled, completed) to exactly the recipients of the issue."""
    sites = _site_names(session, notice.id)
    customers = _customer_names(session, sites)
    rows = session.execute(
        select(NoticeRecipient, Contact.name, User.full_name)
        .outerjoin(Contact, Contact.id == NoticeRecipient.contact_id)
        .outerjoin(User, User.id == NoticeRecipient.user_id)
        .where(NoticeRecipient.notice_id == notice.id)
        .order_by(NoticeRecipient.id)
    ).all()
    messages = []
    for recipient, contact_name, user_name in rows:
        customer_id = recipient.customer_id
        in_app = recipient.channel == Channel.IN_APP
        link = "/notices" if in_app else links.ack(notice.id, customer_id, recipient.contact_id)
        about = About.of(notice, customers[customer_id], sites.get(customer_id, ()), link)
        name = user_name or contact_name or customers[customer_id]
        text = rendered_for(kind, recipient.language, name, about)
        channel = Channel(recipient.channel)
        messages.append(
            Message(
                topic=topic_of(notice.kind),
                kind=kind,
                source=_source(notice, kind),
                channel=channel,
                language=text.language,
                recipient=recipient.recipient,
                subject=text.subject,
                body=text.sms if channel is Channel.SMS else text.text,
                html=text.html if channel is Channel.EMAIL else None,
                link=link,
                customer_id=customer_id,
                contact_id=recipient.contact_id,
                user_id=recipient.user_id,
            )
        )
    return outbox.enqueue(session, messages)
