"""A periodic component's last tick, written so that two writers at once never collide.

One INSERT ... ON CONFLICT DO UPDATE on both dialects: there is no read-then-insert window in
which two dispatchers (two beats by mistake, or one tick overlapping the next) both find no row
and both insert. The time only moves forward, so a late writer never makes beat look older.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.models import Heartbeat

_TABLE = cast(Table, Heartbeat.__table__)

# Beat ticks every second: a tick older than this means dispatch and escalation have stopped.
BEAT_STALE_AFTER = timedelta(seconds=30)


def _upsert(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.name],
        set_={
            "at": case(
                (statement.excluded.at > _TABLE.c.at, statement.excluded.at), else_=_TABLE.c.at
            )
        },
    )


_UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def record_heartbeat(session: Session, name: str, at: datetime) -> None:
    statement = _UPSERT[session.get_bind().dialect.name]
    session.connection().execute(statement, {"name": name, "at": at})


def _claim(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_TABLE)
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.name],
        set_={"at": statement.excluded.at},
        where=_TABLE.c.at <= bindparam("cutoff", type_=_TABLE.c.at.type),
    ).returning(_TABLE.c.name)


_CLAIM = {dialect: _claim(dialect) for dialect in ("postgresql", "sqlite")}


def claim_interval(session: Session, name: str, at: datetime, every: timedelta) -> bool:
    """True for exactly one caller per interval `every`, however many processes ask at once
    (two beats): the row moves to `at` only if its time is at least `every` old."""
    statement = _CLAIM[session.get_bind().dialect.name]
    claimed = (
        session.connection()
        .execute(statement, {"name": name, "at": at, "cutoff": at - every})
        .first()
    )
    return claimed is not None
