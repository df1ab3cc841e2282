"""A periodic component's last tick, written so that two writers at once never collide.

One INSERT ... ON CONFLICT DO UPDATE on both dialects: there is no read-then-insert window in
which two dispatchers (two beats by mistake, or one tick overlapping the next) both find no row
and both insert. The time only moves forward, so a late writer never makes beat look older.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schema.models import Heartbeat

_TABLE = cast(Table, Heartbeat.__table__)


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
