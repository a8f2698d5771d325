"""The HTTP SMS gateway adapter against a local HTTP server: what it sends, how answers count."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from lounge.notify.email import SendFailed
from lounge.notify.gateway import HttpSmsGateway
from tests.factories import free_port


class Gateway(BaseHTTPRequestHandler):
    answers: list[tuple[int, dict[str, str]]] = []
    seen: list[tuple[dict[str, str], dict[str, str]]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((dict(self.headers), body))
        code, answer = self.answers.pop(0)
        self.send_response(code)
        self.end_headers()
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[HttpSmsGateway]:
    Gateway.answers, Gateway.seen = [], []
    server = HTTPServer(("127.0.0.1", free_port()), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpSmsGateway(f"http://127.0.0.1:{server.server_port}/sms", "secret")
    finally:
        server.shutdown()


def test_a_text_goes_with_its_key_and_the_gateway_id_comes_back(gateway):
    Gateway.answers.append((202, {"id": "gw-77"}))
    receipt = gateway.send("+972502345678", "שלום", "key-1")
    assert receipt.provider_id == "gw-77" and not receipt.delivered
    [(headers, body)] = Gateway.seen
    assert headers["Authorization"] == "Bearer secret" and headers["Idempotency-Key"] == "key-1"
    assert body == {
        "to": "+972502345678",
        "from": "Lounge",
        "text": "שלום",
        "idempotency_key": "key-1",
    }


@pytest.mark.parametrize(("code", "permanent"), [(400, True), (429, False), (503, False)])
def test_refusals_and_outages_are_told_apart(gateway, code, permanent):
    Gateway.answers.append((code, {"error": "no"}))
    with pytest.raises(SendFailed) as failure:
        gateway.send("+972502345678", "hi", "key-2")
    assert failure.value.permanent is permanent and str(code) in failure.value.reason


def test_an_unreachable_gateway_is_retried():
    with pytest.raises(SendFailed) as failure:
        HttpSmsGateway(f"http://127.0.0.1:{free_port()}/sms", "t", timeout_s=2).send("+1", "x", "k")
    assert not failure.value.permanent
