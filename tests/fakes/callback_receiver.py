"""A fake trust endpoint for signed callbacks, on 127.0.0.1.

It verifies each request's signature (`messages.callbacks.verify`) with its secrets and keeps
what it accepts, once per idempotency key (a repeat is answered 200 and counted). Tests make it
fail: `down(status)` answers every request with that status (with Retry-After when given),
`refuse()` stops listening altogether, `up()` brings it back on the same port. Its clock can be
a test's simulated one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from messages.callbacks import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    verify,
)
from testing.http_fake import FakeServer, HttpFake, QuietHandler

PATH = "/safetynet/callbacks"


@dataclass(frozen=True)
class Received:
    idempotency_key: str
    event: str
    body: dict[str, Any]


class CallbackReceiver(HttpFake):
    description = "the callback receiver"

    def __init__(self, secrets: Sequence[bytes], *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.secrets = list(secrets)
        self.clock = clock
        self.accepted: dict[str, Received] = {}
        self.duplicates = 0
        self.forged = 0
        self.attempts = 0
        self._down_status: int | None = None
        self._down_retry_after: str | None = None
        self._lock = threading.Lock()
        self._port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{PATH}"

    def start(self) -> CallbackReceiver:
        """Listen on the port it had before, if it was ever started."""
        self._serve(self._port)
        self._port = self.port
        return self

    def down(self, status: int = 503, *, retry_after: str | None = None) -> None:
        with self._lock:
            self._down_status, self._down_retry_after = status, retry_after

    def refuse(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        self.stop()

    def up(self) -> None:
        with self._lock:
            self._down_status = None
        if self._server is None:
            self.start()

    def _receive(self, headers: Any, raw: bytes) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.attempts += 1
            if self._down_status is not None:
                retry = {"Retry-After": self._down_retry_after} if self._down_retry_after else {}
                return self._down_status, retry
        try:
            verify(raw, headers.get(SIGNATURE_HEADER), self.secrets, now=int(self.clock()))
        except SignatureError:
            with self._lock:
                self.forged += 1
            return 401, {}
        body = json.loads(raw)
        key = headers.get(IDEMPOTENCY_HEADER)
        if key != body.get("id"):
            with self._lock:
                self.forged += 1
            return 400, {}
        with self._lock:
            if key in self.accepted:
                self.duplicates += 1
            else:
                self.accepted[key] = Received(key, str(body.get("type")), body)
        return 200, {}


class _Handler(QuietHandler):
    server: FakeServer[CallbackReceiver]

    def do_POST(self) -> None:
        raw = self.read_body(limit=1 << 20)
        extra: dict[str, str] = {}
        if self.path != PATH:
            status = 404
        else:
            status, extra = self.server.fake._receive(self.headers, raw)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


CallbackReceiver.handler = _Handler
