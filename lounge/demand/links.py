"""The links a notice's messages carry: a signed acknowledgement link per contact, the lounge.

The acknowledgement link names the notice, the customer and the contact, signed with the
application's secret key, so that a contact acknowledges without signing in and nobody can
acknowledge for a customer whose link they were not sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from lounge import settings
from lounge.signed_links import LinkKind

ACK_PREFIX = "/ack/"
ACK = LinkKind(ACK_PREFIX, "notice-acknowledgement")


@dataclass(frozen=True)
class Links:
    base_url: str
    secret: str

    @classmethod
    def configured(cls) -> Links:
        config = settings.load()
        return cls(config.public_url, config.secret_key)

    def ack(self, notice_id: int, customer_id: str, contact_id: int | None) -> str:
        return ACK.url(self.base_url, self.secret, [notice_id, customer_id, contact_id])

    def lounge(self) -> str:
        return f"{self.base_url.rstrip('/')}/notices"


@dataclass(frozen=True)
class AckToken:
    notice_id: int
    customer_id: str
    contact_id: int | None


def read(secret: str, token: str) -> AckToken | None:
    """What a signed link names, or None for a token that was not signed by us."""
    payload = ACK.read(secret, token)
    if payload is None or len(payload) != 3:
        return None
    notice_id, customer_id, contact_id = payload
    if not isinstance(notice_id, int) or not isinstance(customer_id, str):
        return None
    return AckToken(notice_id, customer_id, contact_id if isinstance(contact_id, int) else None)
