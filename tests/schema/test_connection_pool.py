"""Concurrent requests reuse pooled PostgreSQL connections instead of opening new ones."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, text

from schema.db import get_engine, session_scope

CONCURRENT = 16  # the webhook benchmark's client connections, each served by its own thread


def test_sixteen_concurrent_sessions_reuse_their_connections(pg_url: str) -> None:
    opened = 0
    lock = threading.Lock()
    barrier = threading.Barrier(CONCURRENT)

    def count(*_: object) -> None:
        nonlocal opened
        with lock:
            opened += 1

    event.listen(get_engine(), "connect", count)

    def work(_: int) -> None:
        for _round in range(5):
            barrier.wait()  # sixteen requests at the same moment, five times over
            with session_scope() as session:
                session.execute(text("SELECT pg_sleep(0.01)"))

    with ThreadPoolExecutor(CONCURRENT) as pool:
        list(pool.map(work, range(CONCURRENT)))
    assert opened <= CONCURRENT
