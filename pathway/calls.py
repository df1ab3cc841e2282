"""A voice call on an escalation step that says `call: true`: the key the person pressed (1
acknowledges the alert) and how the call ended (anything but an acknowledgement moves the chain
on at once: no answer, busy, failed, or answered and hung up without pressing 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from pathway import audit
from pathway.acknowledgement import acknowledge
from pathway.escalation import call_not_acknowledged
from pathway.receipts import advance, record_failure
from schema.models import Alert, Channel, MessageState, OutboundMessage, StaffMember

log = structlog.get_logger(__name__)

ACK_KEY = "1"
# Twilio's final call statuses, and what each means for the message. `completed` means someone
# (or a voicemail) answered; whether 1 was pressed is the alert's state.
ANSWERED = "completed"
NOT_ANSWERED = frozenset({"busy", "no-answer", "failed", "canceled"})
FINAL = NOT_ANSWERED | {ANSWERED}


@dataclass(frozen=True)
class KeyPressed:
    """What pressing a key did, for the words the caller hears next."""

    alert_code: str
    understood: bool  # the key was 1
    acknowledged: bool  # this press acknowledged the alert
    already_by: str | None = None  # the alert had already been taken, by this name


def is_call(message: OutboundMessage | None) -> bool:
    return (
        message is not None
        and message.channel == Channel.VOICE
        and message.alert_id is not None
        and message.staff_member_id is not None
    )


def key_pressed(
    session: Session, message: OutboundMessage, digits: str, *, now: datetime
) -> KeyPressed:
    """The person on the call pressed `digits`: 1 acknowledges the alert as them."""
    alert = session.get(Alert, message.alert_id, with_for_update=True)
    member = session.get(StaffMember, message.staff_member_id)
    assert alert is not None and member is not None  # is_call() was checked by the caller
    advance(message, MessageState.DELIVERED, now)  # someone answered
    if digits != ACK_KEY:
        audit.record(
            session,
            "alert.call_key_not_understood",
            "alert",
            alert.id,
            actor=audit.staff_actor(member.id),
            trust_id=alert.trust_id,
            now=now,
            outbound_message_id=message.id,
        )
        return KeyPressed(alert.code, understood=False, acknowledged=False)
    result = acknowledge(session, alert, member, now=now, via="voice")
    if result.first:
        log.info("alert_acknowledged_by_call", alert_id=alert.id, message_id=message.id)
        return KeyPressed(alert.code, understood=True, acknowledged=True)
    taken_by = session.get(StaffMember, alert.acknowledged_by_id or 0)
    return KeyPressed(
        alert.code,
        understood=True,
        acknowledged=False,
        already_by=taken_by.name if taken_by is not None else None,
    )


def call_ended(session: Session, message: OutboundMessage, status: str, *, now: datetime) -> bool:
    """Twilio's final status for the call. Unless the alert was acknowledged, the chain moves on
    now. True if this call's end moved the alert on. A status that is not final changes nothing."""
    status = status.lower()
    if status not in FINAL:
        return False
    if status in NOT_ANSWERED:
        # Recorded as undelivered: that alone moves the alert on (pathway.escalation).
        step_before = _step(session, message)
        record_failure(
            session,
            message,
            now=now,
            code=status,
            detail=f"call {status}",
            state=MessageState.UNDELIVERED,
        )
        moved = _step(session, message) != step_before
        return call_not_acknowledged(session, message, now=now, status=status) or moved
    advance(message, MessageState.DELIVERED, now)
    alert = session.get(Alert, message.alert_id)
    if alert is not None and alert.acknowledged_at is None:
        message.error_code = "no-key"
        message.error_message = "answered, but 1 was not pressed"
    return call_not_acknowledged(session, message, now=now, status="answered without 1")


def _step(session: Session, message: OutboundMessage) -> tuple[int, int] | None:
    alert = session.get(Alert, message.alert_id)
    return (alert.current_step, alert.round) if alert is not None else None
