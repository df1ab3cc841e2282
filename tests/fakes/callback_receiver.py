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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from messages.callbacks import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    verify,
)

PATH = "/safetynet/callbacks"


@dataclass(frozen=True)
class Received:
    idempotency_key: str
    event: str
    body: dict[str, Any]


class CallbackReceiver:
    def __init__(self, secrets: Sequence[bytes], *, clock: Callable[[], float] = time.time) -> None:
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
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{PATH}"

    def start(self) -> CallbackReceiver:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.receiver = self
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: CallbackReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(min(length, 1 << 20))
        if self.path != PATH:
            status, extra = 404, {}
        else:
            status, extra = self.server.receiver._receive(self.headers, raw)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()
