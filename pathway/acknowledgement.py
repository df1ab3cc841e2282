"""Acknowledging an alert (by SMS, on the dashboard or through the API) and resolving it.

The first acknowledgement stops escalation and tells the others who were notified; any later one
changes nothing. `parse_ack` reads a coordinator's SMS ("ACK K7Q2", or the code alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pathway import audit, writeback
from pathway.alerts import CODE_LENGTH, notify
from pathway.outcomes import Resolution
from schema.models import (
    Alert,
    AlertNotification,
    AlertState,
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    StaffMember,
)
from schema.vocabulary import NotificationKind

ACK_WORDS = ("ACK", "ACKNOWLEDGE", "ACKNOWLEDGED")


@dataclass(frozen=True)
class AckResult:
    alert: Alert
    first: bool  # False when someone had already acknowledged it


def acknowledge(
    session: Session, alert: Alert, member: StaffMember, *, now: datetime, via: str
) -> AckResult:
    """The first acknowledgement stops escalation; any later one changes nothing."""
    if alert.trust_id != member.trust_id:
        raise PermissionError("staff member of another trust")
    if alert.state != AlertState.OPEN:
        _acknowledged_again(session, alert, member, now=now, via=via)
        return AckResult(alert, first=False)
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = member.id
    alert.next_escalation_at = None
    alert.reminder_due_at = now + timedelta(hours=alert.chain["remind_unresolved_after_hours"])
    cancelled: int = session.execute(  # type: ignore[attr-defined]
        update(OutboundMessage)
        .where(
            OutboundMessage.alert_id == alert.id, OutboundMessage.state == MessageState.SCHEDULED
        )
        .values(state=MessageState.CANCELLED, state_changed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(
        session,
        "alert.acknowledged",
        "alert",
        alert.id,
        actor=audit.staff_actor(member.id),
        trust_id=alert.trust_id,
        now=now,
        via=via,
        pending_notifications_cancelled=cancelled,
    )
    session.flush()
    _tell_who_acknowledged(session, alert, member, now=now, via=via)
    writeback.alert_changed(session, alert, "acknowledged", now=now)
    return AckResult(alert, first=True)


def _acknowledged_again(
    session: Session, alert: Alert, member: StaffMember, *, now: datetime, via: str
) -> None:
    """Recorded; someone else acknowledging by SMS is told it was already taken."""
    audit.record(
        session,
        "alert.acknowledged_again",
        "alert",
        alert.id,
        actor=audit.staff_actor(member.id),
        trust_id=alert.trust_id,
        now=now,
        via=via,
    )
    if via == "sms" and alert.acknowledged_by_id != member.id:
        notify(
            session,
            alert,
            [member],
            NotificationKind.TAKEN,
            now=now,
            tag=f"again{member.id}",
            channels=(Channel.SMS,),
        )


def _tell_who_acknowledged(
    session: Session, alert: Alert, member: StaffMember, *, now: datetime, via: str
) -> None:
    """A confirmation to whoever acknowledged by SMS; everyone else notified hears who took it."""
    if via == "sms":
        notify(session, alert, [member], NotificationKind.CONFIRM, now=now, channels=(Channel.SMS,))
    others = [
        m
        for m in session.scalars(
            select(StaffMember)
            .join(AlertNotification, AlertNotification.staff_member_id == StaffMember.id)
            .where(AlertNotification.alert_id == alert.id, StaffMember.id != member.id)
            .distinct()
        )
    ]
    notify(session, alert, others, NotificationKind.TAKEN, now=now, channels=(Channel.SMS,))


def resolve(
    session: Session, alert: Alert, member: StaffMember, resolution: Resolution, *, now: datetime
) -> bool:
    """Record the outcome. An alert nobody has acknowledged is acknowledged first, by the same
    person, so escalation stops and the others notified hear who took it. False when it was
    already resolved (the first outcome stands)."""
    if alert.trust_id != member.trust_id:
        raise PermissionError("staff member of another trust")
    if alert.state == AlertState.RESOLVED:
        return False
    if alert.state == AlertState.OPEN:
        acknowledge(session, alert, member, now=now, via="resolve")
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.resolved_by_id = member.id
    alert.outcome = resolution.outcome
    alert.outcome_name = resolution.outcome_name
    alert.outcome_note = resolution.note
    alert.mri_at = resolution.mri_at
    alert.reminder_due_at = None
    audit.record(
        session,
        "alert.resolved",
        "alert",
        alert.id,
        actor=audit.staff_actor(member.id),
        trust_id=alert.trust_id,
        now=now,
        outcome=resolution.outcome,
        with_note=resolution.note is not None,
        mri_recorded=resolution.mri_at is not None,
    )
    writeback.alert_changed(session, alert, "resolved", now=now)
    return True


def reply_time(session: Session, alert: Alert) -> datetime:
    """When the reply that raised the alert arrived (the alert's own time if it had none)."""
    received = (
        session.scalar(
            select(InboundMessage.received_at).where(InboundMessage.id == alert.inbound_message_id)
        )
        if alert.inbound_message_id is not None
        else None
    )
    return received or alert.raised_at


def parse_ack(text: str) -> tuple[bool, list[str]]:
    """("ACK K7Q2" | "ack k7q2" | "K7Q2" | "ACK") -> (True, candidate codes); else (False, [])."""
    words = re.findall(r"[A-Z0-9]+", text.upper())
    if words and words[0] in ACK_WORDS:
        return True, [w for w in words[1:] if len(w) == CODE_LENGTH]
    if len(words) == 1 and len(words[0]) == CODE_LENGTH:
        return True, words
    return False, []


def alert_to_acknowledge(session: Session, staff: StaffMember, codes: list[str]) -> Alert | None:
    if codes:
        return session.scalars(
            select(Alert)
            .where(Alert.trust_id == staff.trust_id, Alert.code.in_(codes))
            .order_by(Alert.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
    notified_open = session.scalars(
        select(Alert)
        .join(AlertNotification, AlertNotification.alert_id == Alert.id)
        .where(AlertNotification.staff_member_id == staff.id, Alert.state == AlertState.OPEN)
        .distinct()
        .limit(2)
    ).all()
    return notified_open[0] if len(notified_open) == 1 else None
