"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in and out, whatever the database keeps.

    SQLite has no time zones, so it stores naive UTC; reading attaches UTC again. A naive
    datetime handed in is a bug (we would not know its zone), so it is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class SimulatedClock:
    """A clock that runs at real speed from a moment of our choosing, and can jump forward.

    Used by `safetynet demo` to walk days of a patient's schedule in seconds.
    """

    def __init__(self, start: datetime) -> None:
        self._base = start
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._started)

    def jump_to(self, moment: datetime) -> None:
        if moment < self.now():
            raise ValueError("a simulated clock only moves forward")
        self._base, self._started = moment, time.monotonic()


_simulated: SimulatedClock | None = None


def utcnow() -> datetime:
    """Now, in UTC: the only clock the service reads."""
    return _simulated.now() if _simulated is not None else datetime.now(UTC)


def clock_is_simulated() -> bool:
    return _simulated is not None


def use_clock(clock: SimulatedClock | None) -> None:
    global _simulated
    _simulated = clock


JSONDict = dict[str, Any]
