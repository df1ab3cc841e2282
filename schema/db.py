"""Engines and sessions. One engine per database URL per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from schema.settings import get_settings


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # pysqlite's own transaction handling is switched off so that BEGIN IMMEDIATE is ours.
    dbapi_connection.isolation_level = None


def _on_sqlite_begin(conn: Any) -> None:
    # Take the write lock at BEGIN, so two writers queue instead of deadlocking on upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


_ENGINES: dict[str, Engine] = {}
_async_commit = False


def commit_without_waiting_for_disk() -> None:
    """From now on this process's PostgreSQL commits return before their WAL reaches disk.

    For worker processes only. Everything a worker writes is derived from input that was
    committed durably elsewhere (a reply stored by the web app, a message planned at enrolment),
    so a database crash that loses a worker's last commits loses nothing: the reply is handled
    again, the message claimed and sent again (a duplicate, never a loss). The web app and the
    command line keep the default, because what they write is that durable input.
    """
    global _async_commit
    _async_commit = True
    dispose_engines()


def engine_for(url: str) -> Engine:
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = _create(url)
    return engine


def _create(url: str) -> Engine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        event.listen(engine, "before_cursor_execute", _without_nul, retval=True)
        return engine
    # The web process serves requests from a pool of threads: connections beyond `pool_size` are
    # closed when handed back, so a small pool makes PostgreSQL start a backend per request.
    options = {"options": "-c synchronous_commit=off"} if _async_commit else {}
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=20,
        max_overflow=10,
        connect_args=options,
        hide_parameters=True,  # a database error must never carry a phone number into a log
    )
    event.listen(engine, "before_cursor_execute", _without_nul, retval=True)
    return engine


def _without_nul(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    """PostgreSQL text cannot hold NUL: anything people typed with one in it (a reply, a name,
    a search) reaches the database with U+FFFD in its place, never as a 500. SQLite does the
    same, so both store the same text."""
    return statement, _replace_nul(parameters)


def _replace_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: _replace_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replace_nul(item) for item in value)
    return value


def get_engine() -> Engine:
    return engine_for(get_settings().resolved_database_url)


@lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def session_factory() -> sessionmaker[Session]:
    return _session_factory(get_settings().resolved_database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_engines() -> None:
    """Close every pooled connection (after fork, and between tests)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _session_factory.cache_clear()
