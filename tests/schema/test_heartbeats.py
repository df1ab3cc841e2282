"""Beat's heartbeat is one upsert: two dispatchers writing it at once never collide."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.db import session_factory
from schema.heartbeats import record_heartbeat
from schema.models import Heartbeat
from schema.types import utcnow


def beat_at(session: Session) -> object:
    session.expire_all()
    return session.scalar(select(Heartbeat.at).where(Heartbeat.name == "beat"))


def test_two_first_heartbeats_at_once_on_postgresql_both_succeed_and_the_later_time_wins(
    pg_url: str,
) -> None:
    """The race as it happens: the first writer's row is not yet committed when the second
    writes. A read-then-insert (session.merge) finds no row in both and the second fails
    with a UniqueViolation; the upsert waits for the first and then updates."""
    now = utcnow()
    first = session_factory()()
    second_error: list[BaseException] = []
    second_done = threading.Event()

    def second_writer() -> None:
        with session_factory()() as session:
            try:
                record_heartbeat(session, "beat", now + timedelta(seconds=1))
                session.commit()
            except BaseException as error:
                second_error.append(error)
            finally:
                second_done.set()

    record_heartbeat(first, "beat", now)  # inserted, not committed: the row is locked
    writer = threading.Thread(target=second_writer)
    writer.start()
    assert not second_done.wait(0.5), "the second writer should wait for the first"
    first.commit()
    writer.join(timeout=10)
    first.close()
    assert second_error == []
    with session_factory()() as session:
        assert beat_at(session) == now + timedelta(seconds=1)


def test_many_dispatchers_writing_the_first_heartbeat_together_all_succeed(pg_url: str) -> None:
    now = utcnow()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        with session_factory()() as session:
            start.wait()
            try:
                record_heartbeat(session, "beat", now + timedelta(milliseconds=i))
                session.commit()
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    with session_factory()() as session:
        assert beat_at(session) == now + timedelta(milliseconds=7)


def test_a_late_heartbeat_never_moves_the_time_back(database_url: str) -> None:
    now = utcnow()
    with session_factory()() as session:
        record_heartbeat(session, "beat", now)
        session.commit()
        record_heartbeat(session, "beat", now - timedelta(seconds=5))
        session.commit()
        assert beat_at(session) == now
        record_heartbeat(session, "beat", now + timedelta(seconds=1))
        session.commit()
        assert beat_at(session) == now + timedelta(seconds=1)
