"""The links a notice's messages carry: a signed acknowledgement link per contact, the lounge.

The acknowledgement link names the notice, the customer and the contact, signed with the
application's secret key (:mod:`lounge.signed_links`), so that a contact acknowledges without
signing in and nobody can acknowledge for a customer whose link they were not sent.

A link to a contact is the short form (``/a/``), because a text message in Hebrew holds 70
characters with it: it names the notice and the contact, and the contact names the customer. A
link without a contact (whose contact was deleted since) is the longer ``/ack/`` form, which names
the customer itself and which the links of messages sent before the short form keep using.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lounge import settings
from lounge.signed_links import LinkKind

ACK_PREFIX = "/ack/"
SHORT_PREFIX = "/a/"
ACK = LinkKind(ACK_PREFIX, "notice-acknowledgement", SHORT_PREFIX)


@dataclass(frozen=True)
class Links:
    base_url: str
    secret: str

    @classmethod
    def configured(cls) -> Links:
        config = settings.load()
        return cls(config.public_url, config.secret_key)

    def ack(self, notice_id: int, customer_id: str, contact_id: int | None) -> str:
        if contact_id is not None:
            return ACK.short_url(self.base_url, self.secret, [notice_id, contact_id])
        return ACK.url(self.base_url, self.secret, [notice_id, customer_id, contact_id])

    def lounge(self) -> str:
        return f"{self.base_url.rstrip('/')}/notices"


@dataclass(frozen=True)
class AckToken:
    notice_id: int
    customer_id: str
    contact_id: int | None


def _read_short(
    secret: str, token: str, customer_of: Callable[[int], str | None]
) -> AckToken | None:
    ids = ACK.read_short(secret, token)
    if ids is None or len(ids) != 2:
        return None
    notice_id, contact_id = ids
    customer_id = customer_of(contact_id)
    return AckToken(notice_id, customer_id, contact_id) if customer_id else None


def read(
    secret: str, token: str, customer_of: Callable[[int], str | None] = lambda _contact: None
) -> AckToken | None:
    """What a signed link's token names, or None for a token that was not signed by us.

    A short token names the contact only: ``customer_of`` gives the contact's customer."""
    found = _read_short(secret, token, customer_of)
    if found is not None:
        return found
    payload = ACK.read(secret, token)
    if payload is None or len(payload) != 3:
        return None
    notice_id, customer_id, contact_id = payload
    if not isinstance(notice_id, int) or not isinstance(customer_id, str):
        return None
    return AckToken(notice_id, customer_id, contact_id if isinstance(contact_id, int) else None)
