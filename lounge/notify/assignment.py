"""A customer's account manager assigned or changed: the messages it writes.

The manager hears in the lounge that the customer is now theirs. On a reassignment the customer's
contacts hear on the channels they chose for service messages (a customer entering the lounge
hears its manager's name in the welcome of the same run instead), and its users in the lounge.
Written in the transaction of the assignment, as everything in the outbox.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import AssignmentReason, Contact, Role, Topic, User
from lounge import i18n
from lounge.assignment import Assigned
from lounge.company import COMPANY
from lounge.i18n import N_, _
from lounge.notify import fanout, outbox
from lounge.notify.outbox import Message
from lounge.notify.templates import Rendered, language_for, render

#: The templates this module writes (the notifications page previews them too).
KINDS_OF_MESSAGE = ("manager_assigned", "manager_changed")
REASONS = {
    AssignmentReason.ENTRY: N_("it entered the lounge"),
    AssignmentReason.REASSIGNED: N_("reassigned by an administrator"),
}


def facts(customer: str, manager: User, previous: str, reason: str, link: str) -> dict[str, str]:
    """The facts of one assignment as the active language writes them."""
    return {
        "customer": customer,
        "company": _(COMPANY.name),
        "manager": manager.full_name or manager.email,
        "manager_email": manager.email,
        "previous": previous or _("no one"),
        "reason": _(REASONS[AssignmentReason(reason)]),
        "link": link,
    }


def sample_facts(
    kind: str, language: str, name: str, customer: str, manager: str
) -> dict[str, str]:
    """A preview's facts: a customer handed to ``manager``, by the same code as a real one's."""
    sample = User(full_name=manager, email="avi.levi@lounge.example")
    reason = AssignmentReason.REASSIGNED if kind == "manager_changed" else AssignmentReason.ENTRY
    with i18n.use(language):
        return facts(customer, sample, "", reason, "https://lounge.example") | {"name": name}


def _rendered(
    kind: str, wanted: str, name: str, made: Assigned, previous: str, link: str
) -> Rendered:
    language = language_for(kind, wanted)
    with i18n.use(language):
        filled = facts(made.customer.name, made.manager, previous, made.history.reason, link)
    return render(kind, language, filled | {"name": name})


def _in_app(kind: str, user: User, made: Assigned, previous: str, base: str) -> Message:
    staff = user.role != Role.CLIENT
    path = f"/customer/{made.customer.id}" if staff else "/overview"
    note = _rendered(kind, user.language, fanout.user_name(user), made, previous, base + path)
    source = f"assignment:{made.history.id}"
    return fanout.to_user(user, note, Topic.SERVICE, kind, source, path, made.customer.id)


def announce(session: Session, made: list[Assigned], base_url: str) -> int:
    """Write the messages of the assignments ``made``; returns how many."""
    base = base_url.rstrip("/")
    messages: list[Message] = []
    for one in made:
        previous = (one.previous.full_name or one.previous.email) if one.previous else ""
        messages.append(_in_app("manager_assigned", one.manager, one, previous, base))
        if one.history.reason != AssignmentReason.REASSIGNED:
            continue
        source = f"assignment:{one.history.id}"
        for contact in session.scalars(
            select(Contact)
            .where(Contact.customer_id == one.customer.id)
            .options(selectinload(Contact.channels))
            .order_by(Contact.id)
        ):
            text = _rendered("manager_changed", contact.language, contact.name, one, previous, base)
            messages.extend(
                fanout.to_contact(contact, text, Topic.SERVICE, "manager_changed", source, base)
            )
        for user in session.scalars(
            select(User)
            .where(User.customer_id == one.customer.id, User.is_active)
            .order_by(User.id)
        ):
            messages.append(_in_app("manager_changed", user, one, previous, base))
    return outbox.enqueue(session, messages)
