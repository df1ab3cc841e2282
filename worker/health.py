"""Is the service able to do its job? Database, broker, and how long since beat last ticked.

A stale beat means no dispatch and no escalation, so it is reported as loudly as a dead database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select, text

from schema.db import session_scope
from schema.heartbeats import BEAT_STALE_AFTER
from schema.models import (
    Alert,
    AlertState,
    Heartbeat,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Queue,
)
from schema.settings import get_settings
from schema.spool import Spool
from schema.types import utcnow
from schema.vocabulary import ReviewState
from worker.app import get_app

# With the database up, the drainer empties the spool within seconds; longer means it is stuck.
SPOOL_STALE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class Health:
    ok: bool
    database: str
    broker: str
    beat_last_tick: str | None
    beat_age_seconds: float | None
    problems: list[str] = field(default_factory=list)
    queues: dict[str, int | None] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)
    spool: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(*, with_queues: bool = False, now: datetime | None = None) -> Health:
    now = now or utcnow()
    problems: list[str] = []
    database, beat_at, backlog = _database(now, problems, with_queues)
    broker, queues = _broker(problems, with_queues)
    spool = _spool(now, problems, database_ok=database == "ok")
    age = (now - beat_at).total_seconds() if beat_at else None
    if beat_at is None:
        problems.append("beat has never ticked: nothing is dispatched or escalated")
    elif now - beat_at > BEAT_STALE_AFTER:
        problems.append(f"beat last ticked {int(age or 0)} s ago: dispatch and escalation stopped")
    return Health(
        ok=not problems,
        database=database,
        broker=broker,
        beat_last_tick=beat_at.isoformat() if beat_at else None,
        beat_age_seconds=round(age, 1) if age is not None else None,
        problems=problems,
        queues=queues,
        backlog=backlog,
        spool=spool,
    )


def _database(
    now: datetime, problems: list[str], with_counts: bool
) -> tuple[str, datetime | None, dict[str, int]]:
    backlog: dict[str, int] = {}
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
            beat_at = session.scalar(select(Heartbeat.at).where(Heartbeat.name == "beat"))
            if with_counts:
                backlog["due_messages"] = int(
                    session.scalar(
                        select(func.count())
                        .select_from(OutboundMessage)
                        .where(
                            OutboundMessage.state == MessageState.SCHEDULED,
                            OutboundMessage.due_at <= now,
                        )
                    )
                    or 0
                )
                backlog["in_flight_messages"] = int(
                    session.scalar(
                        select(func.count())
                        .select_from(OutboundMessage)
                        .where(
                            OutboundMessage.state.in_((MessageState.QUEUED, MessageState.SENDING))
                        )
                    )
                    or 0
                )
                backlog["open_alerts"] = int(
                    session.scalar(
                        select(func.count())
                        .select_from(Alert)
                        .where(Alert.state == AlertState.OPEN)
                    )
                    or 0
                )
                backlog["overdue_reviews"] = int(
                    session.scalar(
                        select(func.count())
                        .select_from(InboundMessage)
                        .where(
                            InboundMessage.review_state == ReviewState.OPEN,
                            InboundMessage.review_due_at < now,
                        )
                    )
                    or 0
                )
        return "ok", beat_at, backlog
    except Exception as error:
        problems.append(f"database unreachable: {type(error).__name__}")
        return "unreachable", None, backlog


def _spool(now: datetime, problems: list[str], *, database_ok: bool) -> dict[str, Any]:
    """Requests waiting in this host's spool for the database (web/intake.py)."""
    try:
        depth = Spool(get_settings().resolved_spool_dir).depth()
    except OSError as error:
        problems.append(f"spool unreadable: {type(error).__name__}")
        return {"records": None}
    age = (now - depth.oldest).total_seconds() if depth.oldest else None
    stale_after = SPOOL_STALE_AFTER.total_seconds()
    if depth.records and database_ok and age is not None and age > stale_after:
        problems.append(
            f"{depth.records} requests waiting in the spool for {int(age)} s with the database up:"
            " is the web app draining it?"
        )
    if depth.quarantined:
        problems.append(
            f"{depth.quarantined} spooled requests could not be stored: a person must look at"
            " the spool's quarantine folder"
        )
    return {
        "records": depth.records,
        "oldest_age_seconds": round(age, 1) if age is not None else None,
        "quarantined": depth.quarantined,
    }


def _broker(problems: list[str], with_queues: bool) -> tuple[str, dict[str, int | None]]:
    queues: dict[str, int | None] = {}
    try:
        with get_app().connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            if with_queues:
                channel = connection.default_channel
                for queue in Queue:
                    queues[queue.value] = queue_depth(channel, queue.value)
        return "ok", queues
    except Exception as error:
        problems.append(f"broker unreachable: {type(error).__name__}")
        return "unreachable", queues


def queue_depth(channel: Any, queue: str) -> int:
    """Messages waiting in one of our queues.

    Not a passive declare: Redis deletes a list when its last item is taken, so a passive
    declare of an empty queue answers "not found" (and kombu's check ignores a key prefix, so it
    answers that for every queue under one). Declaring a queue every worker declares anyway
    creates nothing on a virtual transport and counts what waits in it."""
    return int(channel.queue_declare(queue=queue, passive=False).message_count)


def describe_broker() -> str:
    url = get_settings().resolved_broker_url
    return "filesystem (embedded)" if url.startswith("filesystem://") else redact_url(url)


def redact_url(url: str) -> str:
    """A connection URL fit to print: the password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
