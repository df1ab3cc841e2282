"""A fake dead-man's-switch monitor (Healthchecks.io style) on 127.0.0.1: it counts the pings
it gets, and can answer with an error or answer slowly."""

from __future__ import annotations

import time

from testing.http_fake import FakeServer, HttpFake, QuietHandler


class PingMonitor(HttpFake):
    description = "the ping monitor"
    # A slow answer outlives the client's timeout, so its write meets a closed socket.
    quiet_errors = True

    def __init__(self) -> None:
        super().__init__()
        self.pings: list[str] = []
        self.status = 200
        self.delay_seconds = 0.0

    @property
    def url(self) -> str:
        return f"{self.base_url}/ping/check-uuid"


class _Handler(QuietHandler):
    server: FakeServer[PingMonitor]

    def do_GET(self) -> None:
        monitor = self.server.fake
        time.sleep(monitor.delay_seconds)
        monitor.pings.append(self.path)
        self.send_response(monitor.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")


PingMonitor.handler = _Handler
