"""What a message's outcome sets in motion, wherever the outcome is learnt (send task or receipt).

- States only move forward: a late `sent` never overwrites `delivered`.
- An SMS to a patient that fails is followed by the same content by email, when they have one.
- A patient whose last three messages failed on every channel is flagged unreachable, and the
  coordinators are told (not urgently).
- A carrier opt-out (Twilio 21610) opts the patient out; an invalid number flags them unreachable.
- A receipt names our message (`?m=`) and the provider's (its MessageSid): when the two disagree
  it changes nothing and is audited (`receive_receipt`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit, writeback
from pathway.escalation import notification_failed
from pathway.outbound import create_message, message_each_staff_member
from pathway.patient_status import opt_out
from schema.models import (
    Channel,
    MessageState,
    OutboundMessage,
    Patient,
    Queue,
    StaffMember,
    StaffRole,
)
from schema.vocabulary import MessageKind, PermanentReason

log = structlog.get_logger(__name__)

_RANK = {
    MessageState.SCHEDULED: 0,
    MessageState.QUEUED: 1,
    MessageState.SENDING: 2,
    MessageState.SENT: 3,
    MessageState.DELIVERED: 4,
    MessageState.UNDELIVERED: 4,
    MessageState.FAILED: 4,
    MessageState.CANCELLED: 4,
    MessageState.SUPPRESSED: 4,
}
BEFORE_SENT = tuple(state for state, rank in _RANK.items() if rank < _RANK[MessageState.SENT])
FAILED_STATES = (MessageState.FAILED, MessageState.UNDELIVERED)
FINISHED_STATES = (MessageState.SENT, MessageState.DELIVERED, *FAILED_STATES)
FALLBACK_PREFIX = "fallback:"
UNREACHABLE_AFTER = 3
NO_EMAIL_FALLBACK = {"stop_confirmation", "start_confirmation", "unknown_sender"}


def advance(message: OutboundMessage, state: MessageState, now: datetime) -> bool:
    """Move the message to `state` unless it is already there or beyond. True if it moved."""
    if _RANK[MessageState(message.state)] >= _RANK[state]:
        return False
    message.state = state
    message.state_changed_at = now
    if state == MessageState.DELIVERED:
        message.delivered_at = now
    return True


def record_failure(
    session: Session,
    message: OutboundMessage,
    *,
    now: datetime,
    code: str | None,
    reason: PermanentReason | None = None,
    detail: str | None = None,
    state: MessageState = MessageState.FAILED,
) -> None:
    """The message has failed for good: record it and do what follows from it."""
    if not advance(message, state, now):
        return
    message.error_code = code
    message.error_message = (detail or "")[:500] or None
    audit.record(
        session,
        f"message.{state.value}",
        "outbound_message",
        message.id,
        actor=audit.SYSTEM,
        trust_id=message.trust_id,
        now=now,
        code=code,
        reason=reason.value if reason else None,
    )
    writeback.message_changed(session, message, now=now)
    after_failure(session, message, now=now, reason=reason)


def after_failure(
    session: Session, message: OutboundMessage, *, now: datetime, reason: PermanentReason | None
) -> None:
    if message.staff_member_id is not None:
        if message.alert_id is not None:
            notification_failed(session, message, now=now)
        return
    if message.patient_id is None:
        return
    patient = session.get(Patient, message.patient_id)
    if patient is None:
        return
    if reason == PermanentReason.UNSUBSCRIBED:
        opt_out(session, patient, now=now, actor=audit.SYSTEM, via="carrier")
        return
    if reason in (PermanentReason.INVALID_NUMBER, PermanentReason.FICTIONAL_NUMBER):
        flag_unreachable(session, patient, now=now, why=reason.value)
    if _send_email_fallback(session, message, patient, now=now):
        return
    check_unreachable(session, patient, now=now)


def _send_email_fallback(
    session: Session, message: OutboundMessage, patient: Patient, *, now: datetime
) -> bool:
    if (
        message.channel != Channel.SMS
        or not patient.email
        or patient.opted_out_at is not None
        or message.kind == MessageKind.FALLBACK
        or message.template_key in NO_EMAIL_FALLBACK
    ):
        return False
    _, created = create_message(
        session,
        idempotency_key=f"{FALLBACK_PREFIX}{message.id}",
        kind=MessageKind.FALLBACK,
        trust_id=message.trust_id,
        channel=Channel.EMAIL,
        template_key=message.template_key,
        to_address=patient.email,
        due_at=now,
        queue=Queue(message.queue),
        patient_id=patient.id,
        alert_id=message.alert_id,
        inbound_message_id=message.inbound_message_id,
        context=dict(message.context),
        language=message.language,  # a Welsh answer falls back to a Welsh email
        now=now,
    )
    return created


def check_unreachable(session: Session, patient: Patient, *, now: datetime) -> None:
    """Flag the patient if each of their last three messages failed on every channel."""
    recent = session.scalars(
        select(OutboundMessage)
        .where(
            OutboundMessage.patient_id == patient.id,
            OutboundMessage.staff_member_id.is_(None),
            OutboundMessage.state.in_(FINISHED_STATES),
            OutboundMessage.kind != MessageKind.FALLBACK,
        )
        .order_by(OutboundMessage.id.desc())
        .limit(UNREACHABLE_AFTER)
    ).all()
    if len(recent) < UNREACHABLE_AFTER or any(m.state not in FAILED_STATES for m in recent):
        return
    fallbacks = session.scalars(
        select(OutboundMessage.state).where(
            OutboundMessage.idempotency_key.in_([f"{FALLBACK_PREFIX}{m.id}" for m in recent])
        )
    ).all()
    if any(state not in FAILED_STATES for state in fallbacks):
        return
    flag_unreachable(session, patient, now=now, why="failed_messages")


def flag_unreachable(session: Session, patient: Patient, *, now: datetime, why: str) -> None:
    if patient.unreachable_since is not None:
        return
    patient.unreachable_since = now
    audit.record(
        session,
        "patient.unreachable",
        "patient",
        patient.id,
        actor=audit.SYSTEM,
        trust_id=patient.trust_id,
        now=now,
        why=why,
    )
    log.warning("patient_unreachable", patient_id=patient.id, trust_id=patient.trust_id)
    coordinators = session.scalars(
        select(StaffMember).where(
            StaffMember.trust_id == patient.trust_id,
            StaffMember.role == StaffRole.COORDINATOR,
            StaffMember.active.is_(True),
        )
    ).all()
    stamp = now.strftime("%Y%m%dT%H%M%S")
    message_each_staff_member(
        session,
        coordinators,
        key_prefix=f"unreachable:{patient.id}:{stamp}",
        kind=MessageKind.UNREACHABLE,
        template_key="unreachable_patient",
        patient_id=patient.id,
        context={"failed_messages": UNREACHABLE_AFTER, "unreachable_reason": why},
        now=now,
    )


def apply_receipt(
    session: Session,
    message: OutboundMessage,
    *,
    provider_message_id: str,
    state: MessageState | None,
    error_code: str | None,
    reason: PermanentReason | None,
    detail: str,
    now: datetime,
) -> bool:
    """A delivery receipt, in our words (the provider's webhook translates its own). Repeats and
    late arrivals change nothing. True if the state moved. `state` None: nothing to record."""
    if message.provider_message_id is None:
        message.provider_message_id = provider_message_id  # the receipt beat our own record
    if state is None:
        return False
    if state in FAILED_STATES:
        before = message.state
        record_failure(
            session,
            message,
            now=now,
            code=error_code,
            state=state,
            reason=reason,
            detail=detail,
        )
        return message.state != before
    moved = advance(message, state, now)
    if moved:
        writeback.message_changed(session, message, now=now)
    if moved and state == MessageState.DELIVERED and message.staff_member_id is None:
        patient = session.get(Patient, message.patient_id) if message.patient_id else None
        if patient is not None:
            mark_reachable(session, patient, now=now, via="delivered")
    return moved


def mark_reachable(session: Session, patient: Patient, *, now: datetime, via: str) -> None:
    if patient.unreachable_since is None:
        return
    patient.unreachable_since = None
    audit.record(
        session,
        "patient.reachable",
        "patient",
        patient.id,
        actor=audit.SYSTEM,
        trust_id=patient.trust_id,
        now=now,
        via=via,
    )


class ReceiptOutcome(StrEnum):
    APPLIED = "applied"
    NOT_FOUND = "not_found"
    MISMATCH = "mismatch"


def receive_receipt(
    session: Session,
    *,
    message_id: int | None,
    provider_message_id: str,
    state: MessageState | None,
    error_code: str | None,
    reason: PermanentReason | None,
    detail: str,
    now: datetime,
    spooled: bool = False,
) -> ReceiptOutcome:
    """A delivery receipt matched to the message it is about, then applied (`apply_receipt`).

    `message_id` (the StatusCallback's `?m=`) names our message, `provider_message_id` the
    provider's. They must agree: a receipt whose id is not the one stored for the message (or,
    before the send was recorded, is another message's) changes nothing, is audited, and comes
    back MISMATCH. `spooled`: it waited in the web's spool, so nobody was answered 404 for an
    unknown message, and that is audited instead.
    """
    sid = provider_message_id
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
                now=now,
                reason="MessageSid does not match the message's provider id",
                received_sid=sid,
                detail=detail,
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
                now=now,
                received_sid=sid,
                detail=detail,
            )
            log.warning("receipt_unmatched", message_id=message_id, sid=sid)
        return ReceiptOutcome.NOT_FOUND
    apply_receipt(
        session,
        message,
        provider_message_id=sid,
        state=state,
        error_code=error_code,
        reason=reason,
        detail=detail,
        now=now,
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
