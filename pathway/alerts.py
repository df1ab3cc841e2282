"""Alerts: raised from a reply (or upgraded, or renotified), and the notifications that tell staff.

Everything here writes to the database only; the dispatcher (or an immediate publish by the
caller, after commit) sends the notifications. The chain in force when an alert is raised is
copied onto it, so a configuration change never alters an escalation already running.
Escalation up the chain is `pathway.escalation`; acknowledging and resolving,
`pathway.acknowledgement`.

A step may name a role (`role:on_duty_coordinator`) as well as people: it is resolved to whoever
is on that role when the step fires (pathway.on_duty), and the chain on the alert records whom
each step reached (`chain["reached"]`). A step that reaches nobody moves on at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from messages.template_context import AlertFacts, build_context
from pathway import audit, writeback
from pathway.on_duty import on_duty_staff
from pathway.outbound import create_message
from schema.models import (
    Alert,
    AlertNotification,
    AlertState,
    Channel,
    InboundMessage,
    MessageState,
    Patient,
    Queue,
    StaffMember,
    Trust,
)
from schema.trust_config import TrustConfig, role_of
from schema.trusts import trust_config
from schema.vocabulary import Label, MessageKind, NotificationKind

log = structlog.get_logger(__name__)

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B to misread
CODE_LENGTH = 4
FAILED = (MessageState.FAILED, MessageState.UNDELIVERED)


TEMPLATES: dict[NotificationKind, str] = {
    NotificationKind.ALERT: "coordinator_alert",
    NotificationKind.ESCALATION: "escalation_alert",
    NotificationKind.RENOTIFY: "coordinator_alert",
    NotificationKind.TAKEN: "alert_taken",
    NotificationKind.CONFIRM: "ack_confirmation",
    NotificationKind.REMINDER: "unresolved_reminder",
}
VOICE_TEMPLATE = "voice_alert"
STEP_KINDS = (NotificationKind.ALERT, NotificationKind.ESCALATION)  # a step firing


def chain_snapshot(config: TrustConfig, level: Label) -> dict[str, Any]:
    chain = config.chain(level)
    return {
        "level": level.value,
        "steps": [
            {"notify": list(s.notify), "minutes": s.minutes, "call": s.call} for s in chain.steps
        ],
        "repeat_every_minutes": chain.repeat_every_minutes,
        "remind_unresolved_after_hours": config.escalation.remind_unresolved_after_hours,
        "reached": [],  # appended each time a step fires: whom it reached (see _record_reached)
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


class AlertAlreadyOpen(RuntimeError):
    """The patient has an open alert: a reply joins it, never raises a second."""


def raise_alert(
    session: Session,
    *,
    patient: Patient,
    inbound: InboundMessage,
    level: Label,
    config: TrustConfig,
    now: datetime,
) -> Alert:
    alert = try_raise_alert(
        session, patient=patient, inbound=inbound, level=level, config=config, now=now
    )
    if alert is None:
        raise AlertAlreadyOpen(f"patient {patient.id} has an open alert")
    return alert


def try_raise_alert(
    session: Session,
    *,
    patient: Patient,
    inbound: InboundMessage,
    level: Label,
    config: TrustConfig,
    now: datetime,
) -> Alert | None:
    """A new alert for the patient, notified at its first step; None if the patient has an open
    alert already (one raised by a reply handled at the same instant): the caller joins that one.
    The database holds one open alert per patient (uq_alerts_one_open_per_patient)."""
    return _raise(
        session,
        Alert(trust_id=patient.trust_id, patient_id=patient.id),
        lambda: open_alert_for(session, patient.id),
        inbound=inbound,
        level=level,
        config=config,
        now=now,
    )


def open_unknown_sender_alert(session: Session, trust_id: int, sender: str) -> Alert | None:
    """The open alert raised by replies from this number, which no patient has (yet)."""
    return session.scalars(
        select(Alert)
        .where(
            Alert.trust_id == trust_id,
            Alert.sender_e164 == sender,
            Alert.patient_id.is_(None),
            Alert.state != AlertState.RESOLVED,
        )
        .order_by(Alert.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def try_raise_unknown_sender_alert(
    session: Session,
    *,
    trust_id: int,
    sender: str,
    inbound: InboundMessage,
    level: Label,
    config: TrustConfig,
    now: datetime,
) -> Alert | None:
    """An alert for a reply from a number no patient has, for the trust it was sent to; None if
    that number has an open alert already (uq_alerts_one_open_per_unknown_sender)."""
    return _raise(
        session,
        Alert(trust_id=trust_id, patient_id=None, sender_e164=sender),
        lambda: open_unknown_sender_alert(session, trust_id, sender),
        inbound=inbound,
        level=level,
        config=config,
        now=now,
    )


def _raise(
    session: Session,
    alert: Alert,
    already_open: Callable[[], Alert | None],
    *,
    inbound: InboundMessage,
    level: Label,
    config: TrustConfig,
    now: datetime,
) -> Alert | None:
    chain = chain_snapshot(config, level)
    for _ in range(3):
        alert = Alert(
            trust_id=alert.trust_id,
            patient_id=alert.patient_id,
            sender_e164=alert.sender_e164,
            inbound_message_id=inbound.id,
            code=_new_code(session, alert.trust_id),
            level=level,
            state=AlertState.OPEN,
            chain=chain,
            current_step=0,
            round=0,
            raised_at=now,
            next_escalation_at=now + timedelta(minutes=chain["steps"][0]["minutes"]),
        )
        if _inserted(session, alert):
            break
        if already_open() is not None:
            log.info("alert_raised_concurrently", patient_id=alert.patient_id)
            return None
        # Otherwise the code was taken at the same instant: draw another.
    else:
        raise RuntimeError("could not insert an alert")
    inbound.alert_id = alert.id
    audit.record(
        session,
        "alert.raised",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        now=now,
        level=level.value,
        code=alert.code,
        inbound_message_id=inbound.id,
        symptoms=list(inbound.symptoms),
        unknown_sender=alert.patient_id is None,
    )
    log.info("alert_raised", alert_id=alert.id, level=level.value, trust_id=alert.trust_id)
    fire_step(session, alert, NotificationKind.ALERT, now=now)
    writeback.alert_changed(session, alert, "raised", now=now)
    return alert


def _inserted(session: Session, alert: Alert) -> bool:
    """Insert in a savepoint; False if a unique constraint refused it (the transaction goes on).
    On PostgreSQL the insert waits for a concurrent one on the same key to commit or roll back."""
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return False
    return True


def upgrade_to_red(
    session: Session, alert: Alert, inbound: InboundMessage, config: TrustConfig, now: datetime
) -> None:
    """An amber alert whose patient now reports a red symptom escalates on the red chain."""
    alert.level = Label.RED
    alert.chain = chain_snapshot(config, Label.RED)
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
        now=now,
        inbound_message_id=inbound.id,
        level=Label.RED.value,
    )
    fire_step(session, alert, NotificationKind.ALERT, now=now)
    writeback.alert_changed(session, alert, "upgraded", now=now)


def renotify(session: Session, alert: Alert, inbound: InboundMessage, now: datetime) -> None:
    """Another red reply on an open alert: its current contacts hear about it again now."""
    audit.record(
        session,
        "alert.renotified",
        "alert",
        alert.id,
        actor=audit.SYSTEM,
        trust_id=alert.trust_id,
        now=now,
        inbound_message_id=inbound.id,
    )
    if alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by_id is not None:
        member = session.get(StaffMember, alert.acknowledged_by_id)
        if member is not None:
            notify(
                session, alert, [member], NotificationKind.RENOTIFY, now=now, tag=f"i{inbound.id}"
            )
        return
    notify_step(session, alert, NotificationKind.RENOTIFY, now=now, tag=f"i{inbound.id}")


def step_forward(session: Session, alert: Alert, now: datetime, *, why: str) -> None:
    """Point the alert at its next step (or, past the last, the whole chain again), audited."""
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
        now=now,
        step=alert.current_step,
        round=alert.round,
        why=why,
    )


def fire_step(session: Session, alert: Alert, kind: NotificationKind, *, now: datetime) -> None:
    """Notify the alert's current step. A step that reaches nobody (nobody on shift, nobody with
    a phone or an email) moves on at once; if the whole chain reaches nobody the alert is marked
    so and tries again at the repeat interval."""
    for _ in range(len(alert.chain["steps"]) + 1):
        reached = notify_step(session, alert, kind, now=now)
        if reached.created:
            return
        if alert.current_step >= len(alert.chain["steps"]):
            nobody_reachable(session, alert, now, why=reached.why_nobody)
            return
        step_forward(session, alert, now, why="reached nobody")
        kind = NotificationKind.ESCALATION


@dataclass
class Reached:
    """Whom one firing of a step reached, and how many messages it made."""

    members: list[StaffMember] = field(default_factory=list)
    callees: list[StaffMember] = field(default_factory=list)  # phoned too (`call: true`)
    roles: dict[str, list[str]] = field(default_factory=dict)  # role -> staff keys on it
    created: int = 0

    def add(self, found: list[StaffMember], *, call: bool) -> None:
        for member in found:
            if member not in self.members:
                self.members.append(member)
            if call and member not in self.callees and member.phone_e164:
                self.callees.append(member)

    @property
    def why_nobody(self) -> str:
        empty = [role for role, keys in self.roles.items() if not keys]
        if not self.members and empty:
            return "nobody on shift as " + ", ".join(empty)
        if not self.members:
            return "no active staff on the step"
        return "no active staff with a phone or email"


def _targets(session: Session, alert: Alert, now: datetime) -> Reached:
    """The people the current step names, roles resolved to whoever is on them now."""
    steps = alert.chain["steps"]
    current = [steps[alert.current_step]] if alert.current_step < len(steps) else steps
    trust = session.get(Trust, alert.trust_id)
    assert trust is not None
    config = trust_config(trust)  # the rota in force now, not when the alert was raised
    reached = Reached()
    for step in current:
        for recipient in step["notify"]:
            role = role_of(recipient)
            if role is None:
                found = _staff_by_keys(session, alert.trust_id, [recipient])
            else:
                found = on_duty_staff(session, alert.trust_id, config, role, now)
                reached.roles[role] = [m.key for m in found]
            reached.add(found, call=bool(step.get("call")))
    return reached


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


def notify_step(
    session: Session, alert: Alert, kind: NotificationKind, *, now: datetime, tag: str = ""
) -> Reached:
    """Everyone the current step reaches now, by SMS and email (and a call on a call step)."""
    reached = _targets(session, alert, now)
    reached.created = notify(session, alert, reached.members, kind, now=now, tag=tag)
    if kind in STEP_KINDS:
        reached.created += notify(
            session, alert, reached.callees, kind, now=now, tag=tag, channels=(Channel.VOICE,)
        )
        _record_reached(session, alert, reached, now)
    return reached


def _record_reached(session: Session, alert: Alert, reached: Reached, now: datetime) -> None:
    """The chain on the alert keeps whom each firing reached; reaching nobody is audited."""
    nobody = None if reached.created else reached.why_nobody
    entry = {
        "step": alert.current_step,
        "round": alert.round,
        "at": now.isoformat(),
        "staff": [m.key for m in reached.members],
        "roles": reached.roles,
        "calls": [m.key for m in reached.callees],
        "nobody": nobody,
    }
    # A new dict, so the JSON column sees the change.
    alert.chain = {**alert.chain, "reached": [*alert.chain.get("reached", []), entry]}
    if nobody is not None:
        audit.record(
            session,
            "alert.step_reached_nobody",
            "alert",
            alert.id,
            actor=audit.SYSTEM,
            trust_id=alert.trust_id,
            now=now,
            step=alert.current_step,
            round=alert.round,
            why=nobody,
            roles=reached.roles,
        )
        log.warning(
            "alert_step_reached_nobody", alert_id=alert.id, step=alert.current_step, why=nobody
        )


def notify(
    session: Session,
    alert: Alert,
    members: list[StaffMember],
    kind: NotificationKind,
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
            address = member.email if channel == Channel.EMAIL else member.phone_e164
            if address and _notification(
                session, alert, member, kind, channel, address, context, now=now, tag=tag
            ):
                created += 1
    if created:
        audit.record(
            session,
            "alert.notified",
            "alert",
            alert.id,
            actor=audit.SYSTEM,
            trust_id=alert.trust_id,
            now=now,
            kind=kind,
            step=alert.current_step,
            round=alert.round,
            staff=[m.id for m in members],
            channels=[c.value for c in channels],
        )
    return created


def _notification(
    session: Session,
    alert: Alert,
    member: StaffMember,
    kind: NotificationKind,
    channel: Channel,
    address: str,
    context: dict[str, Any],
    *,
    now: datetime,
    tag: str,
) -> bool:
    """The message and its notification record, unless this one exists already."""
    key = (
        f"alert:{alert.id}:{kind}:r{alert.round}:s{alert.current_step}:{tag}:"
        f"{member.id}:{channel.value}"
    )
    message, is_new = create_message(
        session,
        idempotency_key=key,
        kind=MessageKind.ALERT,
        trust_id=alert.trust_id,
        channel=channel,
        template_key=VOICE_TEMPLATE if channel == Channel.VOICE else TEMPLATES[kind],
        to_address=address,
        due_at=now,
        queue=Queue.ALERTS,
        patient_id=alert.patient_id,
        staff_member_id=member.id,
        alert_id=alert.id,
        context=context,
        now=now,
    )
    if is_new:
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
    return is_new


def alert_context(session: Session, alert: Alert) -> dict[str, Any]:
    """What alert templates need, frozen into each notification when it is created."""
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
        sender=alert.sender_e164 if alert.patient_id is None else None,
        id=alert.id,
    )
    return {"alert": build_context(trust_config(trust), alert=facts)["alert"]}


def nobody_reachable(session: Session, alert: Alert, now: datetime, *, why: str) -> None:
    if alert.nobody_reachable_at is None:
        alert.nobody_reachable_at = now
        audit.record(
            session,
            "alert.nobody_reachable",
            "alert",
            alert.id,
            actor=audit.SYSTEM,
            trust_id=alert.trust_id,
            now=now,
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
