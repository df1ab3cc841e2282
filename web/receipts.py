"""A delivery receipt, matched to the message it is about, and refused when the two disagree.

`?m=` in the StatusCallback names our message; the receipt's MessageSid names Twilio's. They
must agree: a receipt whose MessageSid is not the provider id stored for `m` (or, before the
send was recorded, is another message's) changes nothing, is audited, and is answered 409.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import audit
from schema.models import OutboundMessage
from worker.outcomes import apply_receipt

log = structlog.get_logger(__name__)


class ReceiptOutcome(StrEnum):
    APPLIED = "applied"
    NOT_FOUND = "not_found"
    MISMATCH = "mismatch"


def receive_receipt(
    session: Session,
    *,
    message_id: int | None,
    sid: str,
    status: str,
    error_code: str | None,
    now: datetime,
    spooled: bool = False,
) -> ReceiptOutcome:
    message = None
    if message_id is not None:
        message = session.get(OutboundMessage, message_id, with_for_update=True)
        if message is not None and not _sid_matches(session, message, sid):
            audit.record(
                session,
                "receipt.refused",
                "outbound_message",
                message.id,
                actor=audit.SYSTEM,
                trust_id=message.trust_id,
                reason="MessageSid does not match the message's provider id",
                received_sid=sid,
                status=status,
                spooled=spooled,
            )
            log.warning("receipt_refused", message_id=message.id, reason="sid_mismatch")
            return ReceiptOutcome.MISMATCH
    if message is None:
        message = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.provider_message_id == sid)
            .with_for_update()
            .limit(1)
        ).first()
    if message is None:
        if spooled:  # nobody was answered 404: say so where a person will see it
            audit.record(
                session,
                "receipt.unmatched",
                "outbound_message",
                message_id,
                actor=audit.SYSTEM,
                trust_id=None,
                received_sid=sid,
                status=status,
            )
            log.warning("receipt_unmatched", message_id=message_id, sid=sid)
        return ReceiptOutcome.NOT_FOUND
    apply_receipt(
        session, message, provider_message_id=sid, status=status, error_code=error_code, now=now
    )
    return ReceiptOutcome.APPLIED


def _sid_matches(session: Session, message: OutboundMessage, sid: str) -> bool:
    if message.provider_message_id is not None:
        return message.provider_message_id == sid
    # The receipt can beat our own record of the send; its sid must then be no other message's.
    other = session.scalar(
        select(OutboundMessage.id)
        .where(OutboundMessage.provider_message_id == sid, OutboundMessage.id != message.id)
        .limit(1)
    )
    return other is None
