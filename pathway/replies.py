"""Handling one stored reply: who sent it, what it says, and what must happen now.

- From a staff member's registered number: an acknowledgement (`ACK K7Q2`, or the code alone).
- From a patient: triaged, then acted on by label (see triage/LABELS.md). Safety outranks the
  opt-out for alerts to staff: an opted-out patient's red reply still alerts the coordinator,
  though the patient is sent nothing.
- From a carer's number (`patient_contacts`): triaged as a report about their patient.
- From a number that is a staff member's and a patient's: an ACK that finds an alert to take is
  staff's, anything else the patient's.
- From anyone else: triaged like a patient's reply; red, amber and urgent-review replies raise an
  alert marked unknown sender, and the sender gets the same advice (at most one unsolicited reply
  a day per number, but a red's urgent advice always, once a day).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from messages.reply_language import reply_language
from messages.triage import TriageResult, triage
from pathway import alerts, audit, contacts, patient_status, review, writeback
from pathway.acknowledgement import acknowledge, alert_to_acknowledge, parse_ack
from pathway.outbound import Claimed, create_message
from pathway.receipts import mark_reachable
from schema.encryption import lookup_hmac
from schema.identifiers import InvalidIdentifier, parse_phone
from schema.models import (
    Alert,
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    Queue,
    StaffMember,
    Trust,
    TrustNumber,
)
from schema.trust_config import TrustConfig
from schema.trusts import trust_config
from schema.vocabulary import (
    ALERT_LABELS,
    Label,
    MessageKind,
    Review,
    SenderKind,
)

log = structlog.get_logger(__name__)

# What an unknown sender is answered (once a day; a red's advice besides): the same advice a
# patient gets, with the 24-hour line; anything else, that the number is not monitored.
UNKNOWN_SENDER_TEMPLATES = {
    Label.RED: "urgent_advice",
    Label.AMBER: "same_day_advice",
    Label.UNCLEAR: "unclear_ack",
}

REPLY_TEMPLATES = {
    Label.RED: "urgent_advice",
    Label.AMBER: "same_day_advice",
    Label.UNCLEAR: "unclear_ack",
    Label.HELP: "help",
    Label.STOP: "stop_confirmation",
    Label.START: "start_confirmation",
}


def handle_inbound(session: Session, inbound_id: int, now: datetime) -> list[Claimed]:
    """Act on a reply once. Returns the urgent messages the caller publishes after commit.

    A reply already handled returns those of its urgent messages no sender has taken yet: a
    handler that died between its commit and its publish is delivered again (acks_late), and
    they go then rather than at the stuck sweep (a copy already in the broker costs a task that
    finds its message taken)."""
    inbound = session.get(InboundMessage, inbound_id, with_for_update=True)
    if inbound is None:
        return []
    if inbound.handled_at is not None:
        return _urgent_messages(session, inbound, now, waiting=_NOT_YET_TAKEN)
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
            now=now,
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
    patients = contacts.patients_with_number(session, trust.id, inbound.from_address)
    if staff is not None and (not patients or _acknowledges(session, inbound, staff)):
        _staff_reply(session, inbound, staff, now)
    elif patients:
        # A number that is a staff member's and a patient's: anything but an ACK is the patient's.
        _patient_reply(session, inbound, patients, config, now)
    elif (carer := contacts.carer_for(session, trust.id, inbound.from_address)) is not None:
        _carer_reply(session, inbound, carer, config, now)
    else:
        _unknown_sender(session, inbound, trust, config, now)
    inbound.handled_at = now
    session.flush()
    return _urgent_messages(session, inbound, now)


def _acknowledges(session: Session, inbound: InboundMessage, staff: StaffMember) -> bool:
    """From a shared number, only an ACK that finds an alert to take is the staff member's: a
    lone four-letter word ("numb", "pain") reads like a code, and must be triaged instead."""
    acknowledging, codes = parse_ack(inbound.body)
    return acknowledging and alert_to_acknowledge(session, staff, codes) is not None


def _patient_reply(
    session: Session,
    inbound: InboundMessage,
    patients: list[Patient],
    config: TrustConfig,
    now: datetime,
) -> None:
    """Triage the reply, then act on its label: keywords, the alert, the answer, the review."""
    patient = patients[0]
    result = _triaged(session, inbound, patients, config, now)
    label = result.label
    mark_reachable(session, patient, now=now, via="replied")
    _keyword(session, patient, label, config, now)
    _alert(session, inbound, patient, label, config, now)
    if label == Label.UNCLEAR:
        review.open_review(session, inbound, _priority(result), config, now=now)
    _answer(session, inbound, patient, label, config, now)
    writeback.reply_received(session, inbound, patient, now=now)


def _carer_reply(
    session: Session, inbound: InboundMessage, carer: Patient, config: TrustConfig, now: datetime
) -> None:
    """A carer's text is a report about the patient: triaged, joined to the patient's alert or
    raising one, reviewed when unclear. The answer goes to the carer; a carer's STOP or START
    changes nothing for the patient."""
    result = _triaged(session, inbound, [carer], config, now, sender_kind=SenderKind.CARER)
    label = result.label
    _alert(session, inbound, carer, label, config, now)
    if label == Label.UNCLEAR:
        review.open_review(session, inbound, _priority(result), config, now=now)
    template = REPLY_TEMPLATES.get(label)
    if template is not None and label not in (Label.STOP, Label.START):
        _answer_number(session, inbound, carer.trust_id, template, config, now)


def _priority(result: TriageResult) -> Review:
    return Review(result.review) if result.review is not None else Review.URGENT


def _triaged(
    session: Session,
    inbound: InboundMessage,
    patients: list[Patient],
    config: TrustConfig,
    now: datetime,
    *,
    sender_kind: SenderKind = SenderKind.PATIENT,
) -> TriageResult:
    patient = patients[0]
    result = triage(inbound.body, languages=config.languages)
    evidence = dict(result.evidence)
    if len(patients) > 1:
        evidence["shared_number"] = f"{len(patients)} patients have this number"
    if sender_kind == SenderKind.CARER:
        evidence["reported_by"] = "carer"
    inbound.patient_id = patient.id
    inbound.sender_kind = sender_kind
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
        now=now,
        label=result.label,
        symptoms=list(result.symptoms),
        sender_kind=sender_kind,
    )
    return result


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
    _raise_or_join(
        session,
        inbound,
        label,
        config,
        now,
        find_open=lambda: alerts.open_alert_for(session, patient.id),
        raise_new=lambda level: alerts.try_raise_alert(
            session, patient=patient, inbound=inbound, level=level, config=config, now=now
        ),
        actor=audit.patient_actor(patient.id),
    )


def _raise_or_join(
    session: Session,
    inbound: InboundMessage,
    label: Label,
    config: TrustConfig,
    now: datetime,
    *,
    find_open: Callable[[], Alert | None],
    raise_new: Callable[[Label], Alert | None],
    actor: str,
) -> None:
    alert = find_open()
    if alert is None:
        if label not in ALERT_LABELS:
            return
        if raise_new(label) is not None:
            return
        # Another reply raised the alert at the same instant: this one joins it.
        alert = find_open()
        if alert is None:  # raised and resolved in between: unreachable in practice
            raise RuntimeError("the concurrent alert vanished")
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
            actor=actor,
            trust_id=alert.trust_id,
            now=now,
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
            now=now,
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
            now=now,
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
    """A number no patient, carer or staff member has (a carer's phone, a patient's new one) is
    read like a patient's. Red, amber and urgent-review replies raise an alert for the trust,
    marked unknown sender; an unclear or all-well one goes on the review list, so a person sees
    it and can link the number. The sender's answer is rate-limited (`_answer_unknown`)."""
    inbound.sender_kind = SenderKind.UNKNOWN
    result = triage(inbound.body, languages=config.languages)
    label = result.label
    inbound.label = label
    inbound.symptoms = list(result.symptoms)
    inbound.evidence = {**result.evidence, "unknown_sender": True}
    audit.record(
        session,
        "inbound.unknown_sender",
        "inbound_message",
        inbound.id,
        actor=audit.SYSTEM,
        trust_id=trust.id,
        now=now,
        label=label,
        symptoms=list(result.symptoms),
    )
    sender = _sender_number(inbound.from_address)
    urgent_review = label == Label.UNCLEAR and _priority(result) == Review.URGENT
    level = label if label in ALERT_LABELS else Label.AMBER if urgent_review else None
    if level is not None:
        _raise_or_join(
            session,
            inbound,
            level,
            config,
            now,
            find_open=lambda: alerts.open_unknown_sender_alert(session, trust.id, sender),
            raise_new=lambda lvl: alerts.try_raise_unknown_sender_alert(
                session,
                trust_id=trust.id,
                sender=sender,
                inbound=inbound,
                level=lvl,
                config=config,
                now=now,
            ),
            actor=audit.SYSTEM,
        )
    if label == Label.UNCLEAR:
        review.open_review(session, inbound, _priority(result), config, now=now)
    elif label == Label.NONE:
        # "All fine" from a number we do not know says nothing about any patient: a person reads it.
        review.open_review(session, inbound, Review.ROUTINE, config, now=now)
    _answer_unknown(session, inbound, trust, label, config, now)


def _sender_number(from_address: str) -> str:
    """The number as E.164 when it is one; otherwise as it came (an alphanumeric sender id)."""
    try:
        return parse_phone(from_address)
    except InvalidIdentifier:
        return from_address[:20]


def _answer_unknown(
    session: Session,
    inbound: InboundMessage,
    trust: Trust,
    label: Label,
    config: TrustConfig,
    now: datetime,
) -> None:
    """At most one unsolicited reply a day per unknown number, so nobody can use the service to
    spam a number; except that a red reply's urgent advice always goes, once a day. A STOP is
    answered by nobody (the carrier confirms it); a number that is not one gets nothing."""
    try:
        number = parse_phone(inbound.from_address)
    except InvalidIdentifier:
        return
    if label == Label.STOP:
        return
    local_day = now.astimezone(config.zone).date().isoformat()
    template = UNKNOWN_SENDER_TEMPLATES.get(label, "unknown_sender")
    # the number's keyed hash, not the number: the key is a plain, unique column
    key = f"unknown:{trust.id}:{lookup_hmac(number)}:{local_day}"
    if label == Label.RED:
        key += ":urgent"
    urgent = label in ALERT_LABELS or label == Label.UNCLEAR
    create_message(
        session,
        idempotency_key=key,
        kind=MessageKind.UNKNOWN_SENDER,
        trust_id=trust.id,
        channel=Channel.SMS,
        template_key=template,
        to_address=number,
        due_at=now,
        queue=Queue.ALERTS if urgent else Queue.MESSAGES,
        inbound_message_id=inbound.id,
        language=reply_language(inbound.body, config.languages),
        now=now,
    )


def _answer_number(
    session: Session,
    inbound: InboundMessage,
    trust_id: int,
    template: str,
    config: TrustConfig,
    now: datetime,
) -> None:
    """The answer to a carer: to the number they wrote from, about no patient's own record (so
    a patient's opt-out does not silence advice to the person reporting on them)."""
    try:
        number = parse_phone(inbound.from_address)
    except InvalidIdentifier:
        return
    create_message(
        session,
        idempotency_key=f"reply:{inbound.id}:{template}",
        kind=MessageKind.REPLY,
        trust_id=trust_id,
        channel=Channel.SMS,
        template_key=template,
        to_address=number,
        due_at=now,
        queue=Queue.ALERTS,
        inbound_message_id=inbound.id,
        language=reply_language(inbound.body, config.languages),
        now=now,
    )


_NOT_YET_TAKEN = (MessageState.SCHEDULED, MessageState.QUEUED)


def _urgent_messages(
    session: Session,
    inbound: InboundMessage,
    now: datetime,
    waiting: tuple[MessageState, ...] = (MessageState.SCHEDULED,),
) -> list[Claimed]:
    related = [OutboundMessage.inbound_message_id == inbound.id]
    if inbound.alert_id is not None:
        related.append(OutboundMessage.alert_id == inbound.alert_id)
    rows = session.execute(
        select(OutboundMessage.id, OutboundMessage.queue).where(
            OutboundMessage.state.in_(waiting),
            OutboundMessage.due_at <= now,
            or_(*related),
        )
    ).all()
    return [Claimed(message_id, queue) for message_id, queue in rows]
