"""Signed links in messages: a link that acts without signing in, for exactly what it names.

A message to a contact carries a link whose token names what it acts on (a notice and customer
to acknowledge, a survey to answer), signed with the application's secret key. Nobody can make a
token for anything they were not sent, and each kind of link signs with its own salt, so a token
of one kind means nothing as another. The token holds no secret and grants only what the page
behind its path allows; whether the thing it names may still be acted on (a notice still open, a
survey not expired) is the domain's to decide.

A kind may also have a short form, for text messages (a Hebrew SMS holds 70 characters, link
included): the ids in base 62 separated by dots, then 8 base-62 characters of an HMAC-SHA256 of
the salt and the ids (about 48 bits: not to be guessed over HTTP).
"""

from __future__ import annotations

import hashlib
import hmac
import string
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

_DIGITS = string.digits + string.ascii_letters
#: Base-62 characters of a short link's signature (62**8: about 48 bits).
SIGNATURE_LENGTH = 8
#: The longest short token read (a few ids and the signature); longer ones are not short.
SHORT_MAX = 40


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


@dataclass(frozen=True)
class LinkKind:
    """One kind of signed link: the path it opens under and the salt its tokens are signed with."""

    prefix: str
    salt: str
    #: The path of the short form ("" when the kind has none).
    short_prefix: str = ""

    def url(self, base_url: str, secret: str, payload: list[object]) -> str:
        """The full link naming ``payload`` (a short list of ids)."""
        token = URLSafeSerializer(secret, self.salt).dumps(payload)
        return f"{base_url.rstrip('/')}{self.prefix}{token}"

    def read(self, secret: str, token: str) -> list[object] | None:
        """What a token names, or None for one not signed by us for this kind."""
        try:
            payload = URLSafeSerializer(secret, self.salt).loads(token)
        except (BadSignature, ValueError, TypeError):
            return None
        return payload if isinstance(payload, list) else None

    def short_url(self, base_url: str, secret: str, ids: list[int]) -> str:
        """The short link naming ``ids`` (non-negative integers)."""
        body = ".".join(_base62(i) for i in ids)
        return f"{base_url.rstrip('/')}{self.short_prefix}{body}{self._signature(secret, ids)}"

    def read_short(self, secret: str, token: str) -> list[int] | None:
        """The ids a short token names, or None for one not signed by us for this kind."""
        if len(token) > SHORT_MAX or len(token) <= SIGNATURE_LENGTH:
            return None
        *parts, last = token[:-SIGNATURE_LENGTH].split(".")
        ids = [_number(part) for part in (*parts, last)]
        if any(i is None for i in ids):
            return None
        numbers = [i for i in ids if i is not None]
        expected = self._signature(secret, numbers)
        return numbers if hmac.compare_digest(token[-SIGNATURE_LENGTH:], expected) else None

    def _signature(self, secret: str, ids: list[int]) -> str:
        message = ":".join([self.salt, *map(str, ids)]).encode()
        digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
        value = int.from_bytes(digest[:8], "big") % 62**SIGNATURE_LENGTH
        return _base62(value).rjust(SIGNATURE_LENGTH, _DIGITS[0])
