"""A fake MLLP sender: what a trust's integration engine does, over a real socket on 127.0.0.1.

`send(message)` frames one message and waits for the framed ACK; `send_raw` writes any bytes
(bad framing, a message cut short, one byte at a time); `read_reply` and `closed_by_peer` look at
what came back.
"""

from __future__ import annotations

import socket
import time
from types import TracebackType

from messages.mllp_frames import END_BLOCK, START_BLOCK, frame


class MllpSender:
    def __init__(
        self, host: str, port: int, *, timeout: float = 5.0, source: str = "127.0.0.1"
    ) -> None:
        self.timeout = timeout
        self.sock = socket.create_connection(
            (host, port), timeout=timeout, source_address=(source, 0)
        )
        self._pending = bytearray()

    def __enter__(self) -> MllpSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, message: str | bytes) -> str:
        payload = message.encode() if isinstance(message, str) else message
        self.sock.sendall(frame(payload))
        return self.read_reply()

    def send_raw(self, data: bytes, *, byte_by_byte: bool = False) -> None:
        if byte_by_byte:
            for index in range(len(data)):
                self.sock.sendall(data[index : index + 1])
        else:
            self.sock.sendall(data)

    def read_reply(self, timeout: float | None = None) -> str:
        """The next framed reply, decoded; ConnectionError when the server closes first."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            start = self._pending.find(START_BLOCK)
            end = self._pending.find(END_BLOCK + b"\r", max(start, 0))
            if start >= 0 and end > start:
                payload = bytes(self._pending[start + 1 : end])
                del self._pending[: end + 2]
                return payload.decode("utf-8", "replace")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply from the MLLP server")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the MLLP server closed the connection without a reply")
            self._pending += data

    def closed_by_peer(self, timeout: float = 2.0) -> bool:
        """True when the server closes the connection within `timeout` (data is discarded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True
            if not data:
                return True
        return False


def ack_fields(ack: str) -> dict[str, list[str]]:
    """An ACK's segments by name, each as its list of fields (`fields["MSA"][1]` is MSA-1)."""
    segments: dict[str, list[str]] = {}
    for line in ack.split("\r"):
        if line:
            parts = line.split("|")
            segments.setdefault(parts[0], parts)
    return segments


def err_segments(ack: str) -> list[list[str]]:
    return [line.split("|") for line in ack.split("\r") if line.startswith("ERR|")]
