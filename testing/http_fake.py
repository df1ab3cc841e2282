"""What every fake HTTP service the tests serve on 127.0.0.1 shares: a threaded server that
knows its fake, run on a thread of its own (`start()`/`stop()` or `with`), and a handler that
logs nothing and answers JSON.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

FakeT = TypeVar("FakeT")


class FakeServer(ThreadingHTTPServer, Generic[FakeT]):
    daemon_threads = True

    def __init__(
        self,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        fake: FakeT,
        *,
        request_queue_size: int,
        quiet_errors: bool,
    ) -> None:
        self.fake = fake
        self.request_queue_size = request_queue_size  # read by listen() inside __init__
        self.quiet_errors = quiet_errors
        super().__init__(("127.0.0.1", port), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not self.quiet_errors:
            super().handle_error(request, client_address)


class HttpFake:
    """A fake service: `handler` answers its requests, reaching this object as `server.fake`."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    description: ClassVar[str] = "the fake"
    request_queue_size: ClassVar[int] = ThreadingHTTPServer.request_queue_size
    quiet_errors: ClassVar[bool] = False  # a client that gave up closes its socket: say nothing

    def __init__(self) -> None:
        self._server: FakeServer[HttpFake] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._serve(0)
        return self

    def _serve(self, port: int) -> None:
        server = FakeServer(
            port,
            self.handler,
            self,
            request_queue_size=self.request_queue_size,
            quiet_errors=self.quiet_errors,
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.description} is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self, limit: int | None = None) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length if limit is None else min(length, limit))

    def send_json(
        self,
        status: int,
        body: Any,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`body` as JSON (None sends an empty body), with `headers` after the content's."""
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
