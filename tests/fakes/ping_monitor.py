"""A fake dead-man's-switch monitor (Healthchecks.io style) on 127.0.0.1: it counts the pings
it gets, and can answer with an error or answer slowly."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class PingMonitor:
    def __init__(self) -> None:
        self.pings: list[str] = []
        self.status = 200
        self.delay_seconds = 0.0
        monitor = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                time.sleep(monitor.delay_seconds)
                monitor.pings.append(self.path)
                self.send_response(monitor.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/ping/check-uuid"

    def __enter__(self) -> PingMonitor:
        self.thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
