"""A real SMS gateway over HTTP: one JSON POST per text, with the outbox key as idempotency key.

Gateways differ in field names but not in shape: a URL, a bearer token, the number, the text and
a client reference they deduplicate on. Answers are classified like SMTP's: 2xx accepted (the JSON
answer's ``id`` is the provider's id), 429 and 5xx may pass and are retried, other 4xx (a number
the gateway refuses) will not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from lounge.notify.email import SendFailed
from lounge.notify.outbox import Receipt


@dataclass(frozen=True)
class HttpSmsGateway:
    url: str
    token: str
    sender: str = "Lounge"
    timeout_s: float = 10.0

    def send(self, to: str, text: str, key: str) -> Receipt:
        payload = {"to": to, "from": self.sender, "text": text, "idempotency_key": key}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            reason = f"SMS gateway {exc.code}: {exc.read()[:200].decode(errors='replace')}"
            raise SendFailed(reason, permanent=exc.code < 500 and exc.code != 429) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SendFailed(f"SMS gateway unreachable: {exc}", permanent=False) from exc
        return Receipt(provider_id=str(answer.get("id", key)), delivered=False)
