"""The PDF a message carries: a plain document kept with the message, rendered at sending.

Why the outbox keeps the document's facts, not the PDF's bytes and not a reference:

- A message's text is fixed when it is written (``notification.body``), and its PDF must say the
  same thing, however late a retry sends it. A reference to live rows (the event's id) would not:
  a backdated classification run deletes and records again the events it replays, a customer is
  renamed, an account manager reassigned; by the time of a retry the reference renders something
  else, or nothing. So the facts themselves are kept, already written in the reader's language
  (a few hundred bytes of JSON), and the document is built from them alone.
- The PDF's bytes would be exact as well, but a PDF with its embedded fonts is some 80 KB and
  takes a render (~13 ms) per message, all inside the issuer's transaction: a classification run
  that welcomes 4,000 customers would write a gigabyte and hold its transaction for minutes.
  Built at sending by the pure builders of ``reports/`` from the same facts, the PDF reads the
  same every time; only its metadata (creation time) may differ between two renders.

Contacts of one customer who read the same language get the same document, so a sender renders
each one once (:func:`render` keeps the last hundred or so, and a render under way is waited for,
not started again by a second sending thread).

A worker renders a claimed batch's PDFs ahead, on a thread of its own
(:func:`rendering_ahead`), while its connections send the first messages: a render (some 5 ms
of CPU) then no longer sits between one message's SMTP answer and the next message. A render
that fails fails the sending of that message only, as a failure that may pass: the message is
retried with backoff like any other (:class:`~lounge.notify.email.SendFailed`).

A process pool was measured too (``benchmarks/notify.py``, 2 cores, the mail server on one): it
sent no faster than the thread, the renders only moved to another process competing for the
same cores, at the cost of starting processes in every worker.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

from db.models import Notification
from lounge import i18n
from lounge.i18n import _
from lounge.notify.email import Attachment
from reports.documents import ReportColumn, ReportDocument, ReportSection
from reports.report import build_report

#: Facts a document does not print: who the message is addressed to (one document serves every
#: contact of the customer who reads that language).
PERSONAL = ("name",)


def membership_document(
    kind: str, language: str, facts: Mapping[str, str], written: dt.datetime
) -> ReportDocument:
    """ "Membership and why": the figures that made ``facts["customer"]`` enter (``welcome``) or
    leave (``farewell``) the lounge, against the thresholds, and what membership offers."""
    entered = kind == "welcome"
    what, figure = ReportColumn("what", _("What")), ReportColumn("figure", _("Figure"))
    rows = [
        (_("The 12 months to"), facts["window_end"]),
        (_("All sites together"), facts["total"]),
        (_("The largest site"), facts["largest"]),
        (_("The rule for one site"), facts["site_threshold"]),
        (_("The rule for all sites together"), facts["total_threshold"]),
        (_("Member since") if entered else _("Membership ended on"), facts["effective"]),
    ]
    if not entered:
        rows.insert(5, (_("Short of the nearer rule"), facts["gap"]))
    why = ReportSection(
        title=_("Why {customer} is a member").format(customer=facts["customer"])
        if entered
        else _("Why the membership of {customer} ended").format(customer=facts["customer"]),
        columns=(what, figure),
        rows=tuple({"what": label, "figure": value} for label, value in rows),
        note=_("A member because {reason}.").format(reason=facts["reason"]) if entered else None,
    )
    offer = ReportSection(
        title=_("What the lounge offers"),
        columns=(ReportColumn("what", _("For members")),),
        rows=tuple(
            {"what": line}
            for line in (
                _("A personal account manager: {manager}").format(manager=facts["manager"]),
                _("An annual meeting and a meeting pack on your consumption"),
                _("Your requests and faults handled first"),
                _("All contracts, consumption in every cut, invoices, payments and debts"),
                _("Warnings before days of peak load and possible outages in your area"),
            )
        ),
        note=None
        if entered
        else _("Membership returns by itself as soon as consumption meets a rule again."),
    )
    return ReportDocument(
        language=language,
        kind="membership",
        title=_("Your Business Lounge membership")
        if entered
        else _("Your Business Lounge membership has ended"),
        subtitle=f"{facts['customer']} · {facts['company']}",
        generated_at=written,
        sections=(why, offer),
    )


#: Document name -> builder of the plain document from (kind, language, facts, written).
DOCUMENTS: dict[str, Callable[[str, str, Mapping[str, str], dt.datetime], ReportDocument]] = {
    "membership": membership_document,
}
#: The attached file's name per document.
FILENAMES = {"membership": "membership.pdf"}


def attach(document: str, facts: Mapping[str, str]) -> dict[str, Any]:
    """What a :class:`~lounge.notify.outbox.Message` keeps to carry ``document``."""
    if document not in DOCUMENTS:
        raise ValueError(f"unknown document {document!r}")
    return {"document": document, "facts": {k: v for k, v in facts.items() if k not in PERSONAL}}


#: What a PDF is made of: document, kind, language, facts (JSON), when the message was written.
_Key = tuple[str, str, str, str, dt.datetime]
#: PDFs rendered or being rendered, newest last: more than a claimed batch of 100 messages
#: needs (at most 100), some 10 MB.
_pdfs: OrderedDict[_Key, Future[Attachment]] = OrderedDict()
_pdfs_lock = threading.Lock()
KEEP = 128


def _key(message: Notification) -> _Key | None:
    spec = message.attachment
    if not spec:
        return None
    facts = json.dumps(spec["facts"], sort_keys=True)
    return (spec["document"], message.kind, message.language, facts, message.created_at)


def _forget(key: _Key, future: Future[Attachment]) -> None:
    """A render that failed or never ran is not kept: the next attempt renders again."""
    with _pdfs_lock:
        if _pdfs.get(key) is future:
            del _pdfs[key]


def _keep(key: _Key, start: Callable[[], Future[Attachment]]) -> tuple[Future[Attachment], bool]:
    """The future of ``key``'s PDF, and whether ``start`` made it (it is not kept yet)."""
    with _pdfs_lock:
        future = _pdfs.get(key)
        if future is not None:
            _pdfs.move_to_end(key)
            return future, False
        future = _pdfs[key] = start()
        while len(_pdfs) > KEEP:
            _pdfs.popitem(last=False)
    return future, True


def render(message: Notification) -> Attachment | None:
    """The PDF ``message`` carries, or None; raises what the render raised."""
    key = _key(message)
    if key is None:
        return None
    future, mine = _keep(key, Future)
    if mine and future.set_running_or_notify_cancel():
        try:
            future.set_result(_build(*key))
        except Exception as exc:  # handed to every thread waiting for this PDF
            future.set_exception(exc)
    try:
        return future.result()
    except CancelledError:  # rendering ahead stopped before it came to this one
        _forget(key, future)
        return render(message)
    except Exception:
        _forget(key, future)
        raise


def _ahead(executor: ThreadPoolExecutor, messages: Sequence[Notification]) -> None:
    for message in messages:
        key = _key(message)
        if key is not None:
            _keep(key, partial(executor.submit, _build, *key))


@contextmanager
def rendering_ahead() -> Iterator[Callable[[Sequence[Notification]], None]]:
    """A function that starts rendering the PDFs of a claimed batch, in order, on a thread of
    its own; :func:`render` then waits for them rather than rendering again. Renders not
    started when the block ends are dropped (a later :func:`render` makes them)."""
    executor = ThreadPoolExecutor(1, thread_name_prefix="render")
    try:
        yield partial(_ahead, executor)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _build(document: str, kind: str, language: str, facts: str, written: dt.datetime) -> Attachment:
    with i18n.use(language):
        built = DOCUMENTS[document](kind, language, json.loads(facts), written)
    return Attachment(FILENAMES[document], build_report(built))
