"""Messages received from the trust's systems, kept once per (trust, source, sender, message id)
with the answer they got: the same message sent again is answered the same and changes nothing.

Only messages that were applied (or deliberately ignored) are stored, in the same transaction as
their effect, and a message whose handling raised is stored as `failed` with its raw body, so a
person can see it and the sender's retry applies it. A message refused for its content is
answered (AE/AR, a 4xx) and stored nowhere: the sender keeps it, with our answer naming the field.
Raw bodies carry identifiers, so they are cleared after the retention period (`purge_raw`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pathway import audit
from schema.models import IntegrationMessage, IntegrationStatus

DONE = (IntegrationStatus.APPLIED, IntegrationStatus.IGNORED)


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def find(
    session: Session, *, trust_id: int, source: str, sender: str, message_id: str
) -> IntegrationMessage | None:
    return session.scalar(
        select(IntegrationMessage)
        .where(
            IntegrationMessage.trust_id == trust_id,
            IntegrationMessage.source == source,
            IntegrationMessage.sender == sender,
            IntegrationMessage.message_id == message_id,
        )
        .with_for_update()
    )


def save(
    session: Session,
    existing: IntegrationMessage | None,
    *,
    trust_id: int,
    source: str,
    sender: str,
    message_id: str,
    event: str,
    status: IntegrationStatus,
    raw: bytes | None,
    now: datetime,
    outcome: str | None = None,
    patient_id: int | None = None,
    response: str = "",
    response_status: int | None = None,
    error: str | None = None,
) -> IntegrationMessage:
    """Store the message (or update the failed copy a retry is applying) and audit it."""
    row = existing or IntegrationMessage(
        trust_id=trust_id,
        source=source,
        sender=sender[:200],
        message_id=message_id[:200],
        received_at=now,
    )
    row.event = event[:40]
    row.status = status.value
    row.outcome = outcome
    row.patient_id = patient_id
    row.body_sha256 = digest(raw or b"")
    row.raw = raw.decode("utf-8", "replace") if raw is not None else None
    row.response = response
    row.response_status = response_status
    row.error = error[:200] if error else None
    row.processed_at = now if status != IntegrationStatus.FAILED else None
    if existing is None:
        session.add(row)
    session.flush()
    # What happened and to whom by id: never the body, a name or a number.
    audit.record(
        session,
        f"integration.{status.value}",
        "integration_message",
        row.id,
        actor=f"{source}:{sender}"[:100],
        trust_id=trust_id,
        now=now,
        event=row.event,
        outcome=outcome,
        patient_id=patient_id,
        error=row.error,
    )
    return row


def keep_failed(
    session: Session,
    *,
    trust_id: int,
    source: str,
    sender: str,
    message_id: str,
    event: str,
    raw: bytes,
    now: datetime,
    error: Exception,
) -> bool:
    """Keep a message whose handling raised as `failed`, with its body, for a person to see and
    the sender's retry to apply. A message already kept is left as it is (False)."""
    if find(session, trust_id=trust_id, source=source, sender=sender, message_id=message_id):
        return False
    save(
        session,
        None,
        trust_id=trust_id,
        source=source,
        sender=sender,
        message_id=message_id,
        event=event,
        status=IntegrationStatus.FAILED,
        raw=raw,
        now=now,
        error=type(error).__name__,
    )
    return True


def purge_raw(session: Session, *, older_than: timedelta, now: datetime) -> int:
    """Clear the raw bodies of messages received before `now - older_than`; the record of what
    each did stays."""
    result = session.execute(
        update(IntegrationMessage)
        .where(
            IntegrationMessage.raw.is_not(None),
            IntegrationMessage.received_at < now - older_than,
        )
        .values(raw=None, raw_purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_applied(
    session: Session,
    *,
    trust_id: int,
    patient_id: int,
    source: str,
    sender: str,
    outcomes: tuple[str, ...] | None = None,
) -> IntegrationMessage | None:
    """The latest message from this feed that changed this patient (with one of `outcomes`, if
    given), for A11 and A13 to know what they would undo."""
    query = select(IntegrationMessage).where(
        IntegrationMessage.trust_id == trust_id,
        IntegrationMessage.patient_id == patient_id,
        IntegrationMessage.source == source,
        IntegrationMessage.sender == sender,
        IntegrationMessage.status == IntegrationStatus.APPLIED,
        IntegrationMessage.outcome.is_not(None),
        IntegrationMessage.outcome != "nothing",
    )
    if outcomes is not None:
        query = query.where(IntegrationMessage.outcome.in_(outcomes))
    return session.scalar(query.order_by(IntegrationMessage.id.desc()).limit(1))
