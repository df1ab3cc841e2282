"""Alerts: raised from a reply, sent up the escalation chain until a person acknowledges them.

Everything here writes to the database only; the dispatcher (or an immediate publish by the
caller, after commit) sends the notifications. The chain in force when an alert is raised is
copied onto it, so a configuration change never alters an escalation already running.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schema import audit
from schema.models import (
    Alert,
    AlertLevel,
    AlertNotification,
    AlertState,
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    Queue,
    StaffMember,
    Trust,
)
from schema.trust_config import TrustConfig
from schema.trusts import trust_config
from worker.outbound import create_message

log = structlog.get_logger(__name__)

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B to misread
CODE_LENGTH = 4
FAILED = (MessageState.FAILED, MessageState.UNDELIVERED)


class Kind:
    ALERT = "alert"  # first step
    ESCALATION = "escalation"  # a later step, or a repeat to the whole chain
    RENOTIFY = "renotify"  # the patient sent another red reply
    TAKEN = "taken"  # someone else acknowledged
    CONFIRM = "confirm"  # to the person who acknowledged
    REMINDER = "reminder"  # acknowledged but not resolved


TEMPLATES = {
    Kind.ALERT: "coordinator_alert",
    Kind.ESCALATION: "escalation_alert",
    Kind.RENOTIFY: "coordinator_alert",
    Kind.TAKEN: "alert_taken",
    Kind.CONFIRM: "ack_confirmation",
    Kind.REMINDER: "unresolved_reminder",
}


def chain_snapshot(config: TrustConfig, level: AlertLevel) -> dict[str, Any]:
    chain = config.chain(level)
    return {
        "level": level.value,
        "steps": [{"notify": list(s.notify), "minutes": s.minutes} for s in chain.steps],
        "repeat_every_minutes": chain.repeat_every_minutes,
        "remind_unresolved_after_hours": config.escalation.remind_unresolved_after_hours,
    }


def _new_code(session: Session, trust_id: int) -> str:
    for _ in range(50):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = session.scalar(
            select(Alert.id).where(Alert.trust_id == trust_id, Alert.code == code)
        )
        if taken is None:
            return code
    raise RuntimeError("no free alert code")  # 280,000 codes: unreachable in practice


def open_alert_for(session: Session, patient_id: int) -> Alert | None:
    return session.scalars(
        select(Alert)
        .where(Alert.patient_id == patient_id, Alert.state != AlertState.RESOLVED)
        .order_by(Alert.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def raise_alert(
    session: Session,
    *,
    patient: Patient,
    inbound: InboundMessage,
    level: AlertLevel,
    config: TrustConfig,
    now: datetime,
) -> Alert:
    chain = chain_snapshot(config, level)
    alert = Alert(
        trust_id=patient.trust_id,
        patient_id=patient.id,
        inbound_message_id=inbound.id,
        code=_new_code(session, patient.trust_id),
        level=level,
        state=AlertState.OPEN,
        chain=chain,
        current_step=0,
        round=0,
        raised_at=now,
        next_escalation_at=now + timedelta(minutes=chain["steps"][0]["minutes"]),
    )
    session.add(alert)
    session.flush()
    inbound.alert_id = alert.id
    audit.record(
        session,
        "alert.raised",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        level=level.value,
        code=alert.code,
        inbound_message_id=inbound.id,
        symptoms=list(inbound.symptoms),
    )
    log.info("alert_raised", alert_id=alert.id, level=level.value, trust_id=alert.trust_id)
    _notify_step(session, alert, Kind.ALERT, now=now)
    return alert


def upgrade_to_red(
    session: Session, alert: Alert, inbound: InboundMessage, config: TrustConfig, now: datetime
) -> None:
    """An amber alert whose patient now reports a red symptom escalates on the red chain."""
    alert.level = AlertLevel.RED
    alert.chain = chain_snapshot(config, AlertLevel.RED)
    alert.current_step = 0
    alert.round += 1
    alert.state = AlertState.OPEN
    alert.acknowledged_at = None
    alert.acknowledged_by_id = None
    alert.reminder_due_at = None
    alert.next_escalation_at = now + timedelta(minutes=alert.chain["steps"][0]["minutes"])
    audit.record(
        session,
        "alert.upgraded",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        inbound_message_id=inbound.id,
        level="red",
    )
    _notify_step(session, alert, Kind.ALERT, now=now)


def renotify(session: Session, alert: Alert, inbound: InboundMessage, now: datetime) -> None:
    """Another red reply on an open alert: its current contacts hear about it again now."""
    audit.record(
        session,
        "alert.renotified",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        inbound_message_id=inbound.id,
    )
    if alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by_id is not None:
        member = session.get(StaffMember, alert.acknowledged_by_id)
        if member is not None:
            _notify(session, alert, [member], Kind.RENOTIFY, now=now, tag=f"i{inbound.id}")
        return
    _notify_step(session, alert, Kind.RENOTIFY, now=now, tag=f"i{inbound.id}")


def _step_keys(alert: Alert) -> list[str]:
    steps = alert.chain["steps"]
    if alert.current_step < len(steps):
        return list(steps[alert.current_step]["notify"])
    seen: dict[str, None] = {}
    for step in steps:
        seen.update(dict.fromkeys(step["notify"]))
    return list(seen)


def _staff_by_keys(session: Session, trust_id: int, keys: list[str]) -> list[StaffMember]:
    members = session.scalars(
        select(StaffMember).where(
            StaffMember.trust_id == trust_id,
            StaffMember.key.in_(keys),
            StaffMember.active.is_(True),
        )
    ).all()
    order = {key: i for i, key in enumerate(keys)}
    return sorted(members, key=lambda m: order[m.key])


def _notify_step(session: Session, alert: Alert, kind: str, *, now: datetime, tag: str = "") -> int:
    members = _staff_by_keys(session, alert.trust_id, _step_keys(alert))
    created = _notify(session, alert, members, kind, now=now, tag=tag)
    if created == 0 and kind in (Kind.ALERT, Kind.ESCALATION):
        _nobody_reachable(session, alert, now, why="no active staff with a phone or email")
    return created


def _notify(
    session: Session,
    alert: Alert,
    members: list[StaffMember],
    kind: str,
    *,
    now: datetime,
    tag: str = "",
    channels: tuple[Channel, ...] = (Channel.SMS, Channel.EMAIL),
) -> int:
    """One message per staff member per channel they have. Returns how many were created."""
    context = alert_context(session, alert)
    created = 0
    for member in members:
        for channel in channels:
            address = member.phone_e164 if channel == Channel.SMS else member.email
            if not address:
                continue
            key = (
                f"alert:{alert.id}:{kind}:r{alert.round}:s{alert.current_step}:{tag}:"
                f"{member.id}:{channel.value}"
            )
            message, is_new = create_message(
                session,
                idempotency_key=key,
                trust_id=alert.trust_id,
                channel=channel,
                template_key=TEMPLATES[kind],
                to_address=address,
                due_at=now,
                queue=Queue.ALERTS,
                patient_id=alert.patient_id,
                staff_member_id=member.id,
                alert_id=alert.id,
                context=context,
            )
            if not is_new:
                continue
            session.add(
                AlertNotification(
                    alert_id=alert.id,
                    staff_member_id=member.id,
                    outbound_message_id=message.id,
                    kind=kind,
                    step=alert.current_step,
                    round=alert.round,
                    created_at=now,
                )
            )
            created += 1
    if created:
        audit.record(
            session,
            "alert.notified",
            "alert",
            alert.id,
            actor=audit.SYSTEM,
            trust_id=alert.trust_id,
            kind=kind,
            step=alert.current_step,
            round=alert.round,
            staff=[m.id for m in members],
        )
    return created


def alert_context(session: Session, alert: Alert) -> dict[str, Any]:
    """What alert templates need, frozen into each notification when it is created."""
    from messages.context import AlertFacts, build_context

    inbound = (
        session.get(InboundMessage, alert.inbound_message_id) if alert.inbound_message_id else None
    )
    acknowledged_by = (
        session.get(StaffMember, alert.acknowledged_by_id) if alert.acknowledged_by_id else None
    )
    trust = session.get(Trust, alert.trust_id)
    assert trust is not None
    facts = AlertFacts(
        code=alert.code,
        level=alert.level,
        symptoms=tuple(inbound.symptoms) if inbound else (),
        reply_excerpt=inbound.body if inbound else "",
        raised_at=alert.raised_at,
        step=alert.current_step + 1,
        acknowledged_by_name=acknowledged_by.name if acknowledged_by else None,
        acknowledged_at=alert.acknowledged_at,
        round=alert.round,
    )
    return {"alert": build_context(trust_config(trust), alert=facts)["alert"]}


def _nobody_reachable(session: Session, alert: Alert, now: datetime, *, why: str) -> None:
    if alert.nobody_reachable_at is None:
        alert.nobody_reachable_at = now
        audit.record(
            session,
            "alert.nobody_reachable",
            "alert",
            alert.id,
            actor=audit.SYSTEM,
            trust_id=alert.trust_id,
            why=why,
            step=alert.current_step,
        )
    log.critical(
        "alert_nobody_reachable",
        alert_id=alert.id,
        trust_id=alert.trust_id,
        step=alert.current_step,
        why=why,
    )


def escalate(session: Session, alert: Alert, now: datetime) -> None:
    """Move an unacknowledged alert on: the next step, or everyone on the chain again."""
    steps = alert.chain["steps"]
    if alert.current_step + 1 < len(steps):
        alert.current_step += 1
        wait = steps[alert.current_step]["minutes"]
    else:
        alert.current_step = len(steps)  # past the last step: the whole chain, repeatedly
        alert.round += 1
        wait = alert.chain["repeat_every_minutes"]
    alert.next_escalation_at = now + timedelta(minutes=wait)
    audit.record(
        session,
        "alert.escalated",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        step=alert.current_step,
        round=alert.round,
    )
    _notify_step(session, alert, Kind.ESCALATION, now=now)


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
            _notify(
                session, alert, [member], Kind.REMINDER, now=now, tag=now.strftime("%Y%m%dT%H%M")
            )
    return len(due) + len(reminders)


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
        audit.record(
            session,
            "alert.acknowledged_again",
            "alert",
            alert.id,
            actor=audit.staff_actor(member.id),
            trust_id=alert.trust_id,
            via=via,
        )
        if via == "sms" and alert.acknowledged_by_id != member.id:
            _notify(
                session,
                alert,
                [member],
                Kind.TAKEN,
                now=now,
                tag=f"again{member.id}",
                channels=(Channel.SMS,),
            )
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
        via=via,
        pending_notifications_cancelled=cancelled,
    )
    session.flush()
    if via == "sms":
        _notify(session, alert, [member], Kind.CONFIRM, now=now, channels=(Channel.SMS,))
    others = [
        m
        for m in session.scalars(
            select(StaffMember)
            .join(AlertNotification, AlertNotification.staff_member_id == StaffMember.id)
            .where(AlertNotification.alert_id == alert.id, StaffMember.id != member.id)
            .distinct()
        )
    ]
    _notify(session, alert, others, Kind.TAKEN, now=now, channels=(Channel.SMS,))
    return AckResult(alert, first=True)


def resolve(
    session: Session, alert: Alert, member: StaffMember, *, note: str, now: datetime
) -> None:
    if alert.trust_id != member.trust_id:
        raise PermissionError("staff member of another trust")
    if not note.strip():
        raise ValueError("an outcome note is required to resolve an alert")
    if alert.state == AlertState.RESOLVED:
        return
    if alert.state == AlertState.OPEN:
        acknowledge(session, alert, member, now=now, via="resolve")
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.resolved_by_id = member.id
    alert.outcome_note = note.strip()
    alert.reminder_due_at = None
    audit.record(
        session,
        "alert.resolved",
        "alert",
        alert.id,
        actor=audit.staff_actor(member.id),
        trust_id=alert.trust_id,
    )


def notification_failed(session: Session, message: OutboundMessage, *, now: datetime) -> None:
    """A notification the provider could not deliver: the next step hears at once."""
    notification = session.scalars(
        select(AlertNotification).where(AlertNotification.outbound_message_id == message.id)
    ).first()
    alert = session.get(Alert, message.alert_id, with_for_update=True) if message.alert_id else None
    if notification is None or alert is None:
        return
    if alert.state != AlertState.OPEN or notification.kind not in (
        Kind.ALERT,
        Kind.ESCALATION,
        Kind.RENOTIFY,
    ):
        return
    sent_states = session.scalars(
        select(OutboundMessage.state)
        .join(AlertNotification, AlertNotification.outbound_message_id == OutboundMessage.id)
        .where(AlertNotification.alert_id == alert.id)
    ).all()
    if sent_states and all(state in FAILED for state in sent_states):
        _nobody_reachable(session, alert, now, why="every notification failed")
    in_chain = alert.current_step < len(alert.chain["steps"])
    if in_chain and (notification.step, notification.round) == (alert.current_step, alert.round):
        # Once past the last step everyone is re-sent at the repeat interval, never faster:
        # failures there must not turn into a tight loop of messages.
        log.warning("alert_notification_failed", alert_id=alert.id, step=alert.current_step)
        escalate(session, alert, now)
