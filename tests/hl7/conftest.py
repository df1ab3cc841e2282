"""The MLLP server run for real on 127.0.0.1, in a thread with its own event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from worker.mllp import Handler, MllpLimits, MllpServer, ReceivedMessage, acknowledge


class Recorder:
    """A handler that keeps what it is given and answers as a successful pathway would."""

    def __init__(self) -> None:
        self.received: list[ReceivedMessage] = []
        self.fail_next = 0

    async def __call__(self, received: ReceivedMessage) -> str:
        self.received.append(received)
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the database is down")
        return acknowledge(received)


@contextmanager
def running(handler: Handler, limits: MllpLimits | None = None) -> Iterator[MllpServer]:
    loop = asyncio.new_event_loop()
    server = MllpServer(handler, limits=limits)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(grace=1.0), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def mllp_server(recorder: Recorder) -> Iterator[MllpServer]:
    with running(recorder) as server:
        yield server
