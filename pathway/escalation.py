"""Escalation: an alert nobody has acknowledged moves up its chain; one acknowledged but not
resolved reminds whoever took it; a notification that failed, or a call not answered with 1,
moves the alert on at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.alerts import FAILED, fire_step, nobody_reachable, notify, step_forward
from schema.models import Alert, AlertNotification, AlertState, OutboundMessage, StaffMember
from schema.vocabulary import NotificationKind

log = structlog.get_logger(__name__)


def escalate(session: Session, alert: Alert, now: datetime, *, why: str = "timeout") -> None:
    """Move an unacknowledged alert on: the next step, or everyone on the chain again."""
    step_forward(session, alert, now, why=why)
    fire_step(session, alert, NotificationKind.ESCALATION, now=now)


def escalate_due(session: Session, now: datetime, limit: int = 100) -> int:
    """Beat: every open alert whose step has timed out moves on; unresolved ones remind."""
    due = session.scalars(
        select(Alert)
        .where(Alert.state == AlertState.OPEN, Alert.next_escalation_at <= now)
        .order_by(Alert.next_escalation_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for alert in due:
        escalate(session, alert, now)
    reminders = session.scalars(
        select(Alert)
        .where(Alert.state == AlertState.ACKNOWLEDGED, Alert.reminder_due_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for alert in reminders:
        member = session.get(StaffMember, alert.acknowledged_by_id)
        hours = alert.chain["remind_unresolved_after_hours"]
        alert.reminder_due_at = now + timedelta(hours=hours)
        if member is not None:
            notify(
                session,
                alert,
                [member],
                NotificationKind.REMINDER,
                now=now,
                tag=now.strftime("%Y%m%dT%H%M"),
            )
    return len(due) + len(reminders)


def notification_failed(session: Session, message: OutboundMessage, *, now: datetime) -> None:
    """A notification the provider could not deliver: the next step hears at once."""
    notification = session.scalars(
        select(AlertNotification).where(AlertNotification.outbound_message_id == message.id)
    ).first()
    alert = session.get(Alert, message.alert_id, with_for_update=True) if message.alert_id else None
    if notification is None or alert is None:
        return
    if alert.state != AlertState.OPEN or notification.kind not in (
        NotificationKind.ALERT,
        NotificationKind.ESCALATION,
        NotificationKind.RENOTIFY,
    ):
        return
    sent_states = session.scalars(
        select(OutboundMessage.state)
        .join(AlertNotification, AlertNotification.outbound_message_id == OutboundMessage.id)
        .where(AlertNotification.alert_id == alert.id)
    ).all()
    if sent_states and all(state in FAILED for state in sent_states):
        nobody_reachable(session, alert, now, why="every notification failed")
    in_chain = alert.current_step < len(alert.chain["steps"])
    if in_chain and (notification.step, notification.round) == (alert.current_step, alert.round):
        # Once past the last step everyone is re-sent at the repeat interval, never faster:
        # failures there must not turn into a tight loop of messages.
        log.warning("alert_notification_failed", alert_id=alert.id, step=alert.current_step)
        escalate(session, alert, now, why="notification failed")


def call_not_acknowledged(
    session: Session, message: OutboundMessage, *, now: datetime, status: str
) -> bool:
    """A call on a call step ended without 1 being pressed (not answered, busy, failed, or
    answered without the key: a voicemail, a pocket): the next step hears at once, as when a
    notification fails. True if the alert moved on."""
    notification = session.scalars(
        select(AlertNotification).where(AlertNotification.outbound_message_id == message.id)
    ).first()
    alert = session.get(Alert, message.alert_id, with_for_update=True) if message.alert_id else None
    if notification is None or alert is None or alert.state != AlertState.OPEN:
        return False
    audit.record(
        session,
        "alert.call_not_acknowledged",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        now=now,
        staff_member_id=message.staff_member_id,
        status=status,
        step=notification.step,
        round=notification.round,
    )
    in_chain = alert.current_step < len(alert.chain["steps"])
    if not in_chain or (notification.step, notification.round) != (alert.current_step, alert.round):
        return False  # the alert has already moved on, or repeats at its own pace
    escalate(session, alert, now, why=f"call {status}")
    return True
