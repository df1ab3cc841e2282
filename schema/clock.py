"""Which clock a claim compares with, when several hosts write the times it compares.

`due_at` and `state_changed_at` are written by whichever host made or last moved a message. A
host whose clock is behind the one that wrote `due_at` would find an urgent message "not yet
due" and leave it for the stuck sweep (two minutes later). So claims use the later of the
database's clock and this host's: a host behind the database claims by the database's clock,
and a host ahead claims at most its skew early, which is harmless (NTP keeps it to
milliseconds; README, "Two of everything"). Tests that move this host's clock forward
(time-machine) still see their messages come due.

The stuck sweep asks the opposite question ("has this been in flight too long?"), where an
early answer means a second send: it uses the database's clock alone (`database_now`).

A simulated clock (`safetynet demo`, tests) is the only clock there is, and SQLite is one file
on one host: both use this host's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, func, select
from sqlalchemy.orm import Session

from schema.types import clock_is_simulated, utcnow


def database_now(session: Session) -> datetime:
    """Now by the database server's clock (PostgreSQL's transaction time)."""
    if clock_is_simulated() or session.get_bind().dialect.name != "postgresql":
        return utcnow()
    value = session.scalar(select(func.now()))
    if not isinstance(value, datetime):
        raise TypeError("the database did not answer now() with a time")
    return value.astimezone(UTC)


def claim_time(session: Session) -> datetime:
    """The time a claim compares `due_at` with: never behind the database's clock."""
    here = utcnow()
    return max(here, database_now(session))


def claim_clock(session: Session, here: datetime) -> Any:
    """`claim_time` as part of the claiming statement itself: no round trip of its own."""
    if clock_is_simulated() or session.get_bind().dialect.name != "postgresql":
        return here
    return func.greatest(bindparam("claimed_here", here, type_=DateTime(timezone=True)), func.now())
