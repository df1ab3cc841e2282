"""Append-only audit trail. `record` is the only way in; nothing updates or deletes an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from schema.models import AuditEvent
from schema.types import utcnow

SYSTEM = "system"
CLI = "cli"


def staff_actor(staff_id: int) -> str:
    return f"staff:{staff_id}"


def patient_actor(patient_id: int) -> str:
    return f"patient:{patient_id}"


def record(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor: str,
    trust_id: int | None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session's transaction: it lands with the change it describes."""
    event = AuditEvent(
        at=utcnow(),
        trust_id=trust_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
    )
    session.add(event)
    return event
