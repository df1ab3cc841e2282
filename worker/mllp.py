"""An asyncio MLLP listener for HL7v2 ADT: it frames, parses and hands each message to a handler,
and sends back the ACK the handler returns.

The handler is injected: it stores the message, applies it, and returns the ACK (usually
`acknowledge(received)`). The server holds nothing durable, so when the handler raises it sends
no ACK and closes the connection: the sender's engine keeps the message and sends it again, and
nothing is lost or acknowledged unstored.

Bounded everywhere: a message's size, the time from a start block to its end block (a slow or
stuck sender), the time to take an ACK, and the number of connections. A framing error or an
oversized message is answered once with `AR` and the connection closed, because the stream can
no longer be trusted to line up with messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from messages.hl7v2 import (
    AckCode,
    AdtEvent,
    Hl7ValidationError,
    MessageHeader,
    UnhandledEvent,
    ack_for_error,
    build_ack,
    codec_for,
    parse_adt,
)
from messages.mllp_frames import Frame, FrameDecoder, FramingError, frame

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class MllpLimits:
    max_message_bytes: int = 1 << 20  # ADT messages are a few kilobytes; 1 MiB is generous
    frame_timeout: float = 30.0  # from a message's start block to its end block
    idle_timeout: float | None = None  # between messages: ADT feeds hold one connection open
    write_timeout: float = 30.0  # for the sender to take its ACK
    max_connections: int = 64
    read_size: int = 65536


@dataclass(frozen=True)
class ReceivedMessage:
    """One framed message and what parsing made of it: an event, or why there is none."""

    raw: bytes  # as framed, MLLP bytes removed: what the handler stores
    peer: str
    received_at: datetime
    event: AdtEvent | None
    error: Hl7ValidationError | UnhandledEvent | None

    @property
    def header(self) -> MessageHeader | None:
        if self.event is not None:
            return self.event.header
        return self.error.header if self.error is not None else None


Handler = Callable[[ReceivedMessage], Awaitable[str]]
Parser = Callable[[bytes], AdtEvent]


def acknowledge(received: ReceivedMessage, *, now: datetime | None = None) -> str:
    """The reply once a message has been dealt with: AA for an event, AE/AR naming each field
    for an invalid one, AA with a note for an event the service does not use."""
    now = now or received.received_at
    if received.error is not None:
        return ack_for_error(received.error, now=now)
    assert received.event is not None
    return build_ack(received.event.header, AckCode.AA, now=now)


def in_threads(handler: Callable[[ReceivedMessage], str], *, limit: int = 4) -> Handler:
    """A blocking handler (database work) run off the event loop, at most `limit` at a time."""
    semaphore = asyncio.Semaphore(limit)

    async def run(received: ReceivedMessage) -> str:
        async with semaphore:
            return await asyncio.to_thread(handler, received)

    return run


@dataclass
class MllpStats:
    connections: int = 0
    refused: int = 0
    messages: int = 0
    framing_errors: int = 0
    handler_failures: int = 0
    timeouts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)


def _parse(
    parser: Parser, raw: bytes
) -> tuple[AdtEvent | None, Hl7ValidationError | UnhandledEvent | None]:
    try:
        return parser(raw), None
    except (Hl7ValidationError, UnhandledEvent) as error:
        return None, error


class MllpServer:
    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: MllpLimits | None = None,
        parser: Parser = parse_adt,
        clock: Callable[[], datetime] = functools.partial(datetime.now, UTC),
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.limits = limits or MllpLimits()
        self.parser = parser
        self.clock = clock
        self.stats = MllpStats()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the MLLP server is not listening")
        host, port = self._server.sockets[0].getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connected, self.host, self.port, limit=self.limits.read_size
        )
        log.info("mllp.listening", host=self.address[0], port=self.address[1])

    async def serve_forever(self) -> None:
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop listening; let each connection finish the message in hand, then close it."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        tasks = list(self._connections)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "unknown"
        if len(self._connections) >= self.limits.max_connections:
            self.stats.add("refused")
            log.warning("mllp.connection_refused", peer=peer, open=len(self._connections))
            await _close(writer)
            return
        self._connections.add(task)
        self.stats.add("connections")
        try:
            await self._serve(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            await _close(writer)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        decoder = FrameDecoder(self.limits.max_message_bytes)
        loop = asyncio.get_running_loop()
        frame_started: float | None = None
        while True:
            if decoder.in_frame:
                frame_started = frame_started or loop.time()
                timeout: float | None = self.limits.frame_timeout - (loop.time() - frame_started)
            else:
                frame_started = None
                timeout = self.limits.idle_timeout
            try:
                data = await asyncio.wait_for(reader.read(self.limits.read_size), timeout)
            except TimeoutError:
                self.stats.add("timeouts")
                log.warning("mllp.timeout", peer=peer, in_message=decoder.in_frame)
                return
            if not data:
                return
            for item in decoder.feed(data):
                if isinstance(item, FramingError):
                    self.stats.add("framing_errors")
                    log.warning("mllp.framing_error", peer=peer, reason=item.reason)
                    reply = build_ack(
                        None, AckCode.AR, now=self.clock(), text=f"MLLP: {item.reason}"
                    )
                    await self._write(writer, reply.encode("ascii", "replace"), peer)
                    return
                if not await self._handle(item, writer, peer):
                    return
                frame_started = None

    async def _handle(self, item: Frame, writer: asyncio.StreamWriter, peer: str) -> bool:
        self.stats.add("messages")
        event, error = _parse(self.parser, item.payload)
        received = ReceivedMessage(item.payload, peer, self.clock(), event, error)
        header = received.header
        try:
            ack = await self.handler(received)
        except Exception:
            # No ACK: the sender keeps the message and sends it again.
            self.stats.add("handler_failures")
            log.exception(
                "mllp.handler_failed", peer=peer, control_id=header.control_id if header else None
            )
            return False
        codec = codec_for(header.character_set) if header else "utf-8"
        return await self._write(writer, ack.encode(codec, "replace"), peer)

    async def _write(self, writer: asyncio.StreamWriter, payload: bytes, peer: str) -> bool:
        writer.write(frame(payload))
        try:
            await asyncio.wait_for(writer.drain(), self.limits.write_timeout)
        except TimeoutError:
            self.stats.add("timeouts")
            log.warning("mllp.ack_not_taken", peer=peer)
            return False
        return True


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1.0)
