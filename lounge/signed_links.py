"""Signed links in messages: a link that acts without signing in, for exactly what it names.

A message to a contact carries a link whose token names what it acts on (a notice and customer
to acknowledge, a survey to answer), signed with the application's secret key. Nobody can make a
token for anything they were not sent, and each kind of link signs with its own salt, so a token
of one kind means nothing as another. The token holds no secret and grants only what the page
behind its path allows; whether the thing it names may still be acted on (a notice still open, a
survey not expired) is the domain's to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer


@dataclass(frozen=True)
class LinkKind:
    """One kind of signed link: the path it opens under and the salt its tokens are signed with."""

    prefix: str
    salt: str

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
