"""Append-only audit trail. `record` is the only way in; nothing updates or deletes an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from schema.models import AuditEvent

SYSTEM = "system"
CLI = "cli"


def staff_actor(staff_id: int) -> str:
    return f"staff:{staff_id}"


def patient_actor(patient_id: int) -> str:
    return f"patient:{patient_id}"


# The table, not the mapped class: a plain Core insert skips the ORM's bulk-insert machinery.
_INSERT = insert(cast(Table, AuditEvent.__table__)).returning(
    cast(Table, AuditEvent.__table__).c.id
)


def record(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor: str,
    trust_id: int | None,
    now: datetime,
    **details: Any,
) -> int:
    """Write an audit event in the session's transaction: it lands with the change it
    describes, or not at all, stamped with the `now` the change was made at. Returns the
    event's id."""
    event_id: int = (
        session.connection()
        .execute(
            _INSERT,
            {
                "at": now,
                "trust_id": trust_id,
                "actor": actor,
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "details": details,
            },
        )
        .scalar_one()
    )
    return event_id
