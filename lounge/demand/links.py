"""The links a notice's messages carry: a signed acknowledgement link per contact, the lounge.

The acknowledgement link names the notice, the customer and the contact, signed with the
application's secret key, so that a contact acknowledges without signing in and nobody can
acknowledge for a customer whose link they were not sent.

A link to a contact is short, because a text message in Hebrew holds 70 characters with it:
``/a/`` then the notice's and the contact's ids in base 62 and 8 base-62 characters of an
HMAC-SHA256 of both (about 48 bits: not to be guessed over HTTP); the contact names the customer.
A link without a contact (whose contact was deleted since) is the longer ``/ack/`` form, which
names the customer itself and which the links of messages sent before the short form keep using.
"""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from lounge import settings

SALT = "notice-acknowledgement"
ACK_PREFIX = "/ack/"
SHORT_PREFIX = "/a/"
_DIGITS = string.digits + string.ascii_letters
#: Base-62 characters of the short link's signature (62**8: about 48 bits).
SIGNATURE_LENGTH = 8


@dataclass(frozen=True)
class Links:
    base_url: str
    secret: str

    @classmethod
    def configured(cls) -> Links:
        config = settings.load()
        return cls(config.public_url, config.secret_key)

    def ack(self, notice_id: int, customer_id: str, contact_id: int | None) -> str:
        base = self.base_url.rstrip("/")
        if contact_id is not None:
            ids = f"{_base62(notice_id)}.{_base62(contact_id)}"
            return f"{base}{SHORT_PREFIX}{ids}{_signature(self.secret, notice_id, contact_id)}"
        token = URLSafeSerializer(self.secret, SALT).dumps([notice_id, customer_id, contact_id])
        return f"{base}{ACK_PREFIX}{token}"

    def lounge(self) -> str:
        return f"{self.base_url.rstrip('/')}/notices"


@dataclass(frozen=True)
class AckToken:
    notice_id: int
    customer_id: str
    contact_id: int | None


def _base62(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 62)
        digits = _DIGITS[digit] + digits
        if not number:
            return digits


def _number(digits: str) -> int | None:
    if not digits or len(digits) > 11 or any(c not in _DIGITS for c in digits):
        return None
    number = 0
    for digit in digits:
        number = number * 62 + _DIGITS.index(digit)
    return number


def _signature(secret: str, notice_id: int, contact_id: int) -> str:
    message = f"{SALT}:{notice_id}:{contact_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") % 62**SIGNATURE_LENGTH
    return _base62(value).rjust(SIGNATURE_LENGTH, _DIGITS[0])


def _read_short(
    secret: str, token: str, customer_of: Callable[[int], str | None]
) -> AckToken | None:
    notice_part, _dot, rest = token.partition(".")
    notice_id, contact_id = _number(notice_part), _number(rest[:-SIGNATURE_LENGTH])
    if notice_id is None or contact_id is None:
        return None
    expected = _signature(secret, notice_id, contact_id)
    if not hmac.compare_digest(rest[-SIGNATURE_LENGTH:], expected):
        return None
    customer_id = customer_of(contact_id)
    return AckToken(notice_id, customer_id, contact_id) if customer_id else None


def read(
    secret: str, token: str, customer_of: Callable[[int], str | None] = lambda _contact: None
) -> AckToken | None:
    """What a signed link's token names, or None for a token that was not signed by us.

    A short token names the contact only: ``customer_of`` gives the contact's customer."""
    if "." in token and token.count(".") == 1 and len(token) <= 40:
        found = _read_short(secret, token, customer_of)
        if found is not None:
            return found
    try:
        notice_id, customer_id, contact_id = URLSafeSerializer(secret, SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(notice_id, int) or not isinstance(customer_id, str):
        return None
    return AckToken(notice_id, customer_id, contact_id if isinstance(contact_id, int) else None)
