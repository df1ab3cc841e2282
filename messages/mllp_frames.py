"""MLLP framing (HL7's Minimal Lower Layer Protocol): a message travels as 0x0B, the message,
0x1C 0x0D. PURE: bytes in, frames or a framing error out; the server in `worker.mllp` owns the
sockets.

A framing error means the byte stream can no longer be trusted to line up with messages, so the
decoder stops: the connection is to be answered once and closed, never resynchronised by
guessing where the next message starts.
"""

from __future__ import annotations

from dataclasses import dataclass

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
# Between frames some senders leave line ends or padding; anything else is not MLLP.
_BETWEEN_FRAMES = frozenset(b"\r\n\t \x00")


def frame(payload: bytes) -> bytes:
    return START_BLOCK + payload + END_BLOCK + CARRIAGE_RETURN


@dataclass(frozen=True)
class Frame:
    payload: bytes


@dataclass(frozen=True)
class FramingError:
    reason: str


class FrameDecoder:
    """Feed it bytes as they arrive; it returns the frames completed so far. Holds at most
    `max_message_bytes` (plus one read) of a message in progress."""

    def __init__(self, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes
        self._buffer = bytearray()
        self._in_frame = False
        self._saw_end = False  # 0x1C seen, waiting for 0x0D
        self._broken: FramingError | None = None

    @property
    def in_frame(self) -> bool:
        return self._in_frame

    @property
    def broken(self) -> FramingError | None:
        return self._broken

    def feed(self, data: bytes) -> list[Frame | FramingError]:
        out: list[Frame | FramingError] = []
        view = memoryview(data)
        position = 0
        while position < len(view) and self._broken is None:
            if not self._in_frame:
                position = self._skip_to_start(view, position, out)
            elif self._saw_end:
                position = self._close_frame(view, position, out)
            else:
                position = self._read_payload(view, position, out)
        return out

    def _fail(self, reason: str, out: list[Frame | FramingError]) -> None:
        self._broken = FramingError(reason)
        self._buffer.clear()
        out.append(self._broken)

    def _skip_to_start(
        self, view: memoryview, position: int, out: list[Frame | FramingError]
    ) -> int:
        byte = view[position]
        if byte == START_BLOCK[0]:
            self._in_frame = True
        elif byte not in _BETWEEN_FRAMES:
            self._fail("data outside a frame (a message must start with 0x0B)", out)
        return position + 1

    def _close_frame(self, view: memoryview, position: int, out: list[Frame | FramingError]) -> int:
        if view[position] != CARRIAGE_RETURN[0]:
            self._fail("end block 0x1C not followed by 0x0D", out)
            return position
        out.append(Frame(bytes(self._buffer)))
        self._buffer.clear()
        self._in_frame = False
        self._saw_end = False
        return position + 1

    def _read_payload(
        self, view: memoryview, position: int, out: list[Frame | FramingError]
    ) -> int:
        chunk = bytes(view[position:])
        end = chunk.find(END_BLOCK)
        body = chunk if end < 0 else chunk[:end]
        if START_BLOCK in body:
            self._fail("a start block inside a message: the one before was cut short", out)
            return position
        if len(self._buffer) + len(body) > self.max_message_bytes:
            self._fail(f"message longer than {self.max_message_bytes} bytes", out)
            return position
        self._buffer += body
        if end < 0:
            return len(view)
        self._saw_end = True
        return position + end + 1
