"""Inbound SMS: stored once per MessageSid before anything else, then handled on the `alerts` queue.

The webhook only stores and enqueues. If enqueueing fails, the message is still in the database
without `handled_at`, and the sweep (`unhandled`) finds it again a few seconds later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pathway import audit
from schema.encryption import lookup_hmac
from schema.models import InboundMessage

log = structlog.get_logger(__name__)

MAX_BODY_CHARS = 1600
UNHANDLED_GRACE = timedelta(seconds=10)


def _insert_once(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(cast(Table, InboundMessage.__table__))
        .on_conflict_do_nothing(index_elements=["provider_message_id"])
        .returning(cast(Table, InboundMessage.__table__).c.id)
    )


# Built once per dialect: the webhook runs this for every reply.
_INSERT_ONCE = {dialect: _insert_once(dialect) for dialect in ("postgresql", "sqlite")}


def store_inbound(
    session: Session, *, sid: str, sender: str, to: str, body: str, now: datetime
) -> int | None:
    """Insert the reply unless this MessageSid was seen before. Returns the new id, or None.
    `now` is when the webhook took it (for a reply drained from the spool, before the insert)."""
    statement = _INSERT_ONCE[session.get_bind().dialect.name]
    inbound_id = (
        session.connection()
        .execute(
            statement,
            {
                "provider_message_id": sid,
                "from_address": sender,  # encrypted by its column type
                "from_hmac": lookup_hmac(sender),  # a Core insert: no ORM event sets it
                "to_address": to,
                "body": body,
                "received_at": now,
                "symptoms": [],
                "evidence": {},
            },
        )
        .scalar_one_or_none()
    )
    if inbound_id is None:
        log.info("inbound_duplicate", sid=sid)
        return None
    audit.record(
        session,
        "inbound.received",
        "inbound_message",
        inbound_id,
        actor=audit.SYSTEM,
        trust_id=None,
        now=now,
        characters=len(body),
    )
    return int(inbound_id)


def unhandled(session: Session, *, now: datetime, limit: int = 200) -> list[int]:
    """Replies stored but not handled after a grace period: their task was lost."""
    return list(
        session.scalars(
            select(InboundMessage.id)
            .where(
                InboundMessage.handled_at.is_(None),
                InboundMessage.received_at < now - UNHANDLED_GRACE,
            )
            .order_by(InboundMessage.id)
            .limit(limit)
        )
    )
