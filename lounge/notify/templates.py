"""What each kind of message says, in the recipient's language, on each channel.

A template is a handful of gettext messages (subject, text, short SMS text) filled with the same
facts. It is rendered whole in one language: if any of its messages lacks a translation, the whole
message goes out in English and the gap is logged, rather than a letter half in Hebrew and half in
English. E-mail HTML is the text, escaped, in paragraphs, right to left where the language is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape

from lounge import i18n
from lounge.i18n import N_
from lounge.settings import LANGUAGES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Template:
    subject: str
    text: str
    sms: str


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str
    sms: str


TEMPLATES: dict[str, Template] = {
    "welcome": Template(
        subject=N_("Welcome to the Business Lounge"),
        text=N_(
            "Dear {name},\n\n"
            "{customer} has joined the Business Lounge of {company}: {reason} in the 12 months "
            "to {window_end} ({figure}).\n\n"
            "Your personal account manager is {manager}, who will meet you at least once a year "
            "and handles your requests and faults first.\n\n"
            "In the lounge you see all your contracts, your consumption in every cut, invoices, "
            "payments and debts, download bill copies and reports, and receive warnings before "
            "days of peak load or possible outages in your area.\n\n"
            "Sign in: {link}"
        ),
        sms=N_(
            "{customer} has joined the Business Lounge. Your account manager: {manager}. {link}"
        ),
    ),
    "farewell": Template(
        subject=N_("Your Business Lounge membership has ended"),
        text=N_(
            "Dear {name},\n\n"
            "In the 12 months to {window_end}, {customer} used {total} on all its sites together "
            "and {largest} at its largest site. The lounge takes in a customer with one site of "
            "at least {site_threshold} or all sites together of at least {total_threshold}; "
            "{customer} is {gap} short of the nearer one, so its membership ended on "
            "{effective}.\n\n"
            "Membership returns by itself as soon as consumption meets the rule again. Your "
            "account manager {manager} remains at your service.\n\n"
            "Details: {link}"
        ),
        sms=N_("{customer} has left the Business Lounge ({gap} short of the rule). {link}"),
    ),
    "manager_entered": Template(
        subject=N_("{customer} has joined the lounge"),
        text=N_("{customer} has joined the lounge on {effective}: {reason} ({figure})."),
        sms=N_("{customer} has joined the lounge."),
    ),
    "manager_exited": Template(
        subject=N_("{customer} has left the lounge"),
        text=N_(
            "{customer} has left the lounge on {effective}: {total} on all sites, {largest} at "
            "the largest, {gap} short of the rule."
        ),
        sms=N_("{customer} has left the lounge."),
    ),
    "meeting_scheduled": Template(
        subject=N_("Meeting with {company}: {when}"),
        text=N_(
            "Dear {name},\n\n"
            "{manager}, the account manager of {customer}, invites you to a meeting on {when} "
            "({where}).\n\n"
            "Agenda: {agenda}\n\n"
            "Add it to your calendar: {ics}"
        ),
        sms=N_("Meeting with {manager} ({company}) on {when}, {where}. Calendar: {ics}"),
    ),
    "meeting_updated": Template(
        subject=N_("Meeting with {company} changed: {when}"),
        text=N_(
            "Dear {name},\n\n"
            "The meeting of {customer} with {manager} is now on {when} ({where}).\n\n"
            "Agenda: {agenda}\n\n"
            "The calendar entry is updated by this file: {ics}"
        ),
        sms=N_("Meeting with {manager} moved to {when}, {where}. Calendar: {ics}"),
    ),
    "meeting_cancelled": Template(
        subject=N_("Meeting with {company} cancelled: {when}"),
        text=N_(
            "Dear {name},\n\n"
            "The meeting of {customer} with {manager} on {when} is cancelled. {manager} will be "
            "in touch to find another date.\n\n"
            "Remove it from your calendar with this file: {ics}"
        ),
        sms=N_("The meeting with {manager} on {when} is cancelled. Calendar: {ics}"),
    ),
    "request_update": Template(
        subject=N_("Your request {number}: {state}"),
        text=N_(
            "Dear {name},\n\n"
            "Your request {number} ({kind}: {subject}) is now: {state}.{note}\n\n"
            "We answer it by {due}.\n\n"
            "Follow it in the lounge: {link}"
        ),
        # one part even in Hebrew (70 characters of UCS-2) with a link of ~40 characters
        sms=N_("Request {number}: {state}. {link}"),
    ),
    "manager_member_fault": Template(
        subject=N_("Member fault: {customer}, {site}"),
        text=N_(
            "{customer}, a lounge member, reported a fault at {site}: {kind}, {subject}. It is "
            "first in the fault desk's queue and due by {due}.\n\n{link}"
        ),
        sms=N_("Member fault: {customer}, {site}. {link}"),
    ),
    "manager_new_request": Template(
        subject=N_("New request from {customer}: {subject}"),
        text=N_("{customer} opened request {number} ({kind}: {subject}), due by {due}.\n\n{link}"),
        sms=N_("New request from {customer}. {link}"),
    ),
    "manager_assigned": Template(
        subject=N_("{customer} is now in your portfolio"),
        text=N_(
            "{customer} is now yours to look after ({reason}); before you: {previous}.\n\n{link}"
        ),
        sms=N_("{customer} is now in your portfolio. {link}"),
    ),
    "manager_changed": Template(
        subject=N_("Your account manager at {company}: {manager}"),
        text=N_(
            "Dear {name},\n\n"
            "From today the personal account manager of {customer} is {manager} "
            "({manager_email}), who handles your requests and faults first and meets you at "
            "least once a year.\n\n"
            "Sign in: {link}"
        ),
        sms=N_("{customer}: your account manager is now {manager}. {link}"),
    ),
    "survey_invitation": Template(
        subject=N_("How did we do? {about}"),
        text=N_(
            "Dear {name},\n\n"
            "{about} is behind us. How satisfied are you with it, from 1 (not at all) to 5 "
            "(very)? A word on what we could do better helps us too. It takes a minute, and the "
            "survey stays open for {days} days.\n\n"
            "Answer here: {link}\n\n"
            "{company}, for {customer}"
        ),
        sms=N_("How did we do? Rate us 1 to 5: {link}"),
    ),
    # Demand-management notices: one set for every kind; {title} names the kind (an emergency
    # outage says so), {ask} the reduction asked for, {link} the signed acknowledgement link.
    # A text message must stay one part (70 characters in Hebrew, the link included): it names
    # the kind in short ({short}) and the window in short ({when}), nothing else.
    "notice_issued": Template(
        subject=N_("{title}: {window}"),
        text=N_(
            "Dear {name},\n\n"
            "{title} for {sites} of {customer}: {window}.{ask}{note}\n\n"
            "Please confirm that you received this notice, and tell us how much load you will "
            "reduce: {link}"
        ),
        sms=N_("{short}, {when}. Please confirm: {link}"),
    ),
    "notice_updated": Template(
        subject=N_("Updated: {title}: {window}"),
        text=N_(
            "Dear {name},\n\n"
            "The {title} for {sites} of {customer} has changed. It now applies {window}.{ask}"
            "{note}\n\n"
            "Details and confirmation: {link}"
        ),
        sms=N_("Updated: {short}, {when}. {link}"),
    ),
    "notice_cancelled": Template(
        subject=N_("Cancelled: {title}: {window}"),
        text=N_(
            "Dear {name},\n\n"
            "The {title} for {sites} of {customer}, {window}, is cancelled. Nothing more is "
            "needed from you.{note}\n\n{link}"
        ),
        sms=N_("Cancelled: {short}, {when}. {link}"),
    ),
    "notice_completed": Template(
        subject=N_("Ended: {title}"),
        text=N_(
            "Dear {name},\n\n"
            "The {title} for {sites} of {customer}, {window}, has ended. Thank you for your "
            "cooperation.{note}\n\n{link}"
        ),
        sms=N_("Ended: {short}, {when}. {link}"),
    ),
}


def _complete_in(language: str, template: Template) -> bool:
    catalog = i18n.translations(language)
    return all(
        catalog.gettext(message) != message
        for message in (template.subject, template.text, template.sms)
    )


def render(kind: str, language: str, facts: Mapping[str, str]) -> Rendered:
    """``kind`` in ``language`` (chosen by :func:`language_for`), filled with ``facts``
    already formatted in that language."""
    template = TEMPLATES[kind]
    with i18n.use(language) as used:
        subject = i18n.gettext(template.subject).format(**facts)
        text = i18n.gettext(template.text).format(**facts)
        sms = i18n.gettext(template.sms).format(**facts)
        direction = "rtl" if i18n.is_rtl(used) else "ltr"
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    html = f'<div dir="{direction}" lang="{used}">{paragraphs}</div>'
    return Rendered(used, subject, text, html, sms)


def language_for(kind: str, wanted: str) -> str:
    """The language ``kind`` is sent in to someone who reads ``wanted`` (English if not whole)."""
    if wanted == "en":
        return "en"
    if wanted in LANGUAGES and _complete_in(wanted, TEMPLATES[kind]):
        return wanted
    log.warning("template %r has no complete %r translation; sending it in English", kind, wanted)
    return "en"


def rendered(kind: str, wanted: str, facts: Callable[[], Mapping[str, str]]) -> Rendered:
    """``kind`` for a reader of ``wanted`` (English if that one is not whole), with ``facts()``
    made in the language chosen."""
    language = language_for(kind, wanted)
    with i18n.use(language):
        filled = facts()
    return render(kind, language, filled)
