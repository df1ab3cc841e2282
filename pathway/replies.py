"""Handling one stored reply: who sent it, what it says, and what must happen now.

- From a staff member's registered number: an acknowledgement (`ACK K7Q2`, or the code alone).
- From a patient: triaged, then acted on by label (see triage/LABELS.md). Safety outranks the
  opt-out for alerts to staff: an opted-out patient's red reply still alerts the coordinator,
  though the patient is sent nothing.
- From anyone else: recorded, and at most one reply a day saying the number is not monitored.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from messages.reply_language import reply_language
from messages.triage import triage
from pathway import alerts, audit, patient_status, writeback
from pathway.acknowledgement import acknowledge, alert_to_acknowledge, parse_ack
from pathway.outbound import Claimed, create_message
from pathway.receipts import mark_reachable
from schema.identifiers import InvalidIdentifier, parse_phone
from schema.models import (
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    PatientStatus,
    Queue,
    StaffMember,
    Trust,
    TrustNumber,
)
from schema.trust_config import TrustConfig
from schema.trusts import trust_config
from schema.vocabulary import ALERT_LABELS, Label, MessageKind, ReviewState, SenderKind

log = structlog.get_logger(__name__)

REPLY_TEMPLATES = {
    Label.RED: "urgent_advice",
    Label.AMBER: "same_day_advice",
    Label.UNCLEAR: "unclear_ack",
    Label.HELP: "help",
    Label.STOP: "stop_confirmation",
    Label.START: "start_confirmation",
}


def handle_inbound(session: Session, inbound_id: int, now: datetime) -> list[Claimed]:
    """Act on a reply once. Returns the urgent messages the caller publishes after commit."""
    inbound = session.get(InboundMessage, inbound_id, with_for_update=True)
    if inbound is None or inbound.handled_at is not None:
        return []
    trust = session.scalar(
        select(Trust).join(TrustNumber).where(TrustNumber.number_e164 == inbound.to_address)
    )
    if trust is None:
        inbound.sender_kind = SenderKind.UNKNOWN
        inbound.handled_at = now
        audit.record(
            session,
            "inbound.unrouted",
            "inbound_message",
            inbound.id,
            actor=audit.SYSTEM,
            trust_id=None,
            reason="To is not a trust's number",
        )
        log.warning("inbound_unrouted", inbound_id=inbound.id)
        return []
    inbound.trust_id = trust.id
    config = trust_config(trust)
    staff = session.scalars(
        select(StaffMember).where(
            StaffMember.trust_id == trust.id,
            StaffMember.phone_e164 == inbound.from_address,
            StaffMember.active.is_(True),
        )
    ).first()
    if staff is not None:
        _staff_reply(session, inbound, staff, now)
    else:
        patients = patients_with_number(session, trust.id, inbound.from_address)
        if patients:
            _patient_reply(session, inbound, patients, config, now)
        else:
            _unknown_sender(session, inbound, trust, config, now)
    inbound.handled_at = now
    session.flush()
    return _urgent_messages(session, inbound, now)


def patients_with_number(session: Session, trust_id: int, number: str) -> list[Patient]:
    status_order = case((Patient.status == PatientStatus.ACTIVE, 0), else_=1)
    return list(
        session.scalars(
            select(Patient)
            .where(Patient.trust_id == trust_id, Patient.phone_e164 == number)
            .order_by(status_order, Patient.enrolled_at.desc())
        )
    )


def _patient_reply(
    session: Session,
    inbound: InboundMessage,
    patients: list[Patient],
    config: TrustConfig,
    now: datetime,
) -> None:
    """Triage the reply, then act on its label: keywords, the alert, the answer, the review."""
    patient = patients[0]
    label = _triaged(session, inbound, patients, config)
    mark_reachable(session, patient, now=now, via="replied")
    _keyword(session, patient, label, config, now)
    _alert(session, inbound, patient, label, config, now)
    if label == Label.UNCLEAR:
        inbound.review_state = ReviewState.OPEN
    _answer(session, inbound, patient, label, config, now)
    writeback.reply_received(session, inbound, patient, now=now)


def _triaged(
    session: Session, inbound: InboundMessage, patients: list[Patient], config: TrustConfig
) -> Label:
    patient = patients[0]
    result = triage(inbound.body, languages=config.languages)
    evidence = dict(result.evidence)
    if len(patients) > 1:
        evidence["shared_number"] = f"{len(patients)} patients have this number"
    inbound.patient_id = patient.id
    inbound.sender_kind = SenderKind.PATIENT
    inbound.label = result.label
    inbound.symptoms = list(result.symptoms)
    inbound.evidence = evidence
    audit.record(
        session,
        "inbound.triaged",
        "inbound_message",
        inbound.id,
        actor=audit.patient_actor(patient.id),
        trust_id=patient.trust_id,
        label=result.label,
        symptoms=list(result.symptoms),
    )
    return Label(result.label)


def _keyword(
    session: Session, patient: Patient, label: Label, config: TrustConfig, now: datetime
) -> None:
    """STOP opts the patient out, START back in."""
    if label == Label.STOP:
        patient_status.opt_out(
            session, patient, now=now, actor=audit.patient_actor(patient.id), via="sms"
        )
    elif label == Label.START:
        patient_status.opt_in(
            session, patient, config, now=now, actor=audit.patient_actor(patient.id), via="sms"
        )


def _alert(
    session: Session,
    inbound: InboundMessage,
    patient: Patient,
    label: Label,
    config: TrustConfig,
    now: datetime,
) -> None:
    """A red or amber reply raises an alert; with one already open the reply joins it, and a
    red one upgrades an amber alert or tells its contacts again."""
    alert = alerts.open_alert_for(session, patient.id)
    if alert is None:
        if label in ALERT_LABELS:
            alerts.raise_alert(
                session, patient=patient, inbound=inbound, level=label, config=config, now=now
            )
        return
    inbound.alert_id = alert.id
    if label == Label.RED and alert.level == Label.AMBER:
        alerts.upgrade_to_red(session, alert, inbound, config, now)
    elif label == Label.RED:
        alerts.renotify(session, alert, inbound, now)
    else:
        audit.record(
            session,
            "alert.reply_attached",
            "alert",
            alert.id,
            actor=audit.patient_actor(patient.id),
            trust_id=alert.trust_id,
            inbound_message_id=inbound.id,
            label=label,
        )


def _answer(
    session: Session,
    inbound: InboundMessage,
    patient: Patient,
    label: Label,
    config: TrustConfig,
    now: datetime,
) -> None:
    """The patient's answer to their reply; an opted-out patient gets only STOP's confirmation.
    A Welsh reply is answered in Welsh, whatever the patient's recorded language."""
    template = REPLY_TEMPLATES.get(label)
    if label == Label.NONE and config.replies.thank_you_for_none:
        template = "thank_you"
    if template is not None and (patient.opted_out_at is None or label == Label.STOP):
        create_message(
            session,
            idempotency_key=f"reply:{inbound.id}:{template}",
            kind=MessageKind.REPLY,
            trust_id=patient.trust_id,
            channel=Channel.SMS,
            template_key=template,
            to_address=patient.phone_e164,
            due_at=now,
            queue=Queue.ALERTS,
            patient_id=patient.id,
            inbound_message_id=inbound.id,
            language=reply_language(inbound.body, config.languages),
            now=now,
        )


def _staff_reply(
    session: Session, inbound: InboundMessage, staff: StaffMember, now: datetime
) -> None:
    inbound.sender_kind = SenderKind.STAFF
    inbound.staff_member_id = staff.id
    acknowledging, codes = parse_ack(inbound.body)
    if not acknowledging:
        audit.record(
            session,
            "inbound.staff_message",
            "inbound_message",
            inbound.id,
            actor=audit.staff_actor(staff.id),
            trust_id=staff.trust_id,
        )
        return
    alert = alert_to_acknowledge(session, staff, codes)
    if alert is None:
        audit.record(
            session,
            "alert.ack_not_understood",
            "inbound_message",
            inbound.id,
            actor=audit.staff_actor(staff.id),
            trust_id=staff.trust_id,
            codes=codes,
        )
        _tell_staff(
            session, staff, inbound, "ack_not_understood", now, {"ack_code": " ".join(codes)}
        )
        return
    inbound.alert_id = alert.id
    acknowledge(session, alert, staff, now=now, via="sms")


def _tell_staff(
    session: Session,
    staff: StaffMember,
    inbound: InboundMessage,
    template: str,
    now: datetime,
    context: dict[str, str],
) -> None:
    if staff.phone_e164 is None:
        return
    create_message(
        session,
        idempotency_key=f"reply:{inbound.id}:{template}",
        kind=MessageKind.REPLY,
        trust_id=staff.trust_id,
        channel=Channel.SMS,
        template_key=template,
        to_address=staff.phone_e164,
        due_at=now,
        queue=Queue.ALERTS,
        staff_member_id=staff.id,
        inbound_message_id=inbound.id,
        context=context,
        now=now,
    )


def _unknown_sender(
    session: Session, inbound: InboundMessage, trust: Trust, config: TrustConfig, now: datetime
) -> None:
    inbound.sender_kind = SenderKind.UNKNOWN
    audit.record(
        session,
        "inbound.unknown_sender",
        "inbound_message",
        inbound.id,
        actor=audit.SYSTEM,
        trust_id=trust.id,
    )
    try:
        number = parse_phone(inbound.from_address)
    except InvalidIdentifier:
        return
    local_day = now.astimezone(config.zone).date().isoformat()
    create_message(
        session,
        idempotency_key=f"unknown:{trust.id}:{number}:{local_day}",
        kind=MessageKind.UNKNOWN_SENDER,
        trust_id=trust.id,
        channel=Channel.SMS,
        template_key="unknown_sender",
        to_address=number,
        due_at=now,
        queue=Queue.MESSAGES,
        inbound_message_id=inbound.id,
        language=reply_language(inbound.body, config.languages),
        now=now,
    )


def _urgent_messages(session: Session, inbound: InboundMessage, now: datetime) -> list[Claimed]:
    related = [OutboundMessage.inbound_message_id == inbound.id]
    if inbound.alert_id is not None:
        related.append(OutboundMessage.alert_id == inbound.alert_id)
    rows = session.execute(
        select(OutboundMessage.id, OutboundMessage.queue).where(
            OutboundMessage.state == MessageState.SCHEDULED,
            OutboundMessage.due_at <= now,
            or_(*related),
        )
    ).all()
    return [Claimed(message_id, queue) for message_id, queue in rows]
