"""Writing back to the trust's record: each message sent to a patient (and its outcome), each
reply, and each alert with its outcome, as FHIR UK Core Communication and Flag resources.

An event becomes a `Callback` row in the same transaction as the change it describes, once per
idempotency key, so a change that is committed is never without its write-back (and one rolled
back leaves none). The row keeps the facts as they were; the signed body is built from them the
same way every time (`body_of`). A trust with a callback URL gets each row sent by the worker
(`claim_due`, `record_delivery`) until its endpoint answers 2xx, retried with backoff for a day,
after which a person is told; every row stays readable by the staff API's feed either way.
Nothing happens for a trust without `integration.write_back`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from messages.callbacks import EventType, build_callback, next_attempt_at
from messages.fhir import (
    AlertRecord,
    AlertState,
    CommunicationRecord,
    CommunicationStatus,
    Direction,
    FhirContext,
    Medium,
    build_communication,
    build_flag,
)
from pathway import audit
from pathway.outbound import message_each_staff_member
from schema.models import (
    Alert,
    Callback,
    CallbackState,
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    StaffMember,
    StaffRole,
    Trust,
)
from schema.trust_config import WriteBack
from schema.trusts import trust_config
from schema.vocabulary import Label, MessageKind

log = structlog.get_logger(__name__)

DELIVERY_LEASE = timedelta(minutes=10)  # longer than a batch of attempts can take
COMMUNICATION = "Communication"
FLAG = "Flag"
_WRITTEN_STATES = {
    MessageState.SENT,
    MessageState.DELIVERED,
    MessageState.UNDELIVERED,
    MessageState.FAILED,
}


def _write_back(trust: Trust) -> WriteBack | None:
    return trust_config(trust).integration.write_back


def _add(
    session: Session,
    trust: Trust,
    write_back: WriteBack,
    *,
    patient_id: int | None,
    event: EventType,
    key: str,
    resource_type: str,
    record: dict[str, Any],
    now: datetime,
) -> None:
    push = write_back.callback_url is not None
    values = {
        "trust_id": trust.id,
        "patient_id": patient_id,
        "event_type": event.value,
        "idempotency_key": key,
        "resource_type": resource_type,
        "record": record,
        "state": (CallbackState.PENDING if push else CallbackState.PULL_ONLY).value,
        "attempts": 0,
        "next_attempt_at": now if push else None,
        "created_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Callback).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# -- events --------------------------------------------------------------------------------


def message_changed(session: Session, message: OutboundMessage, *, now: datetime) -> None:
    """A message to a patient was sent, delivered or failed: its Communication, as it now is.
    Messages to staff are not the patient's communication, and are not written back."""
    if message.staff_member_id is not None or message.patient_id is None:
        return
    if message.channel not in (Channel.SMS, Channel.EMAIL):  # calls are to staff only
        return
    if message.state not in _WRITTEN_STATES:
        return
    trust = session.get(Trust, message.trust_id)
    assert trust is not None
    write_back = _write_back(trust)
    if write_back is None:
        return
    patient = session.get(Patient, message.patient_id)
    assert patient is not None
    state = MessageState(message.state)
    _add(
        session,
        trust,
        write_back,
        patient_id=patient.id,
        event=EventType.COMMUNICATION_SENT
        if state == MessageState.SENT
        else EventType.COMMUNICATION_UPDATED,
        key=f"communication-out-{message.id}-{state.value}",
        resource_type=COMMUNICATION,
        record=_outbound_record(message, patient, state),
        now=now,
    )


def _outbound_record(
    message: OutboundMessage, patient: Patient, state: MessageState
) -> dict[str, Any]:
    if state in (MessageState.FAILED, MessageState.UNDELIVERED):
        status, reason = CommunicationStatus.NOT_DONE, state.value
        if message.error_code:
            reason += f" (code {message.error_code})"
    elif state == MessageState.SENT and message.channel == Channel.SMS:
        status, reason = CommunicationStatus.IN_PROGRESS, None  # a receipt is still to come
    else:
        status, reason = CommunicationStatus.COMPLETED, None
    return {
        "message_id": f"out-{message.id}",
        "direction": Direction.TO_PATIENT.value,
        "medium": message.channel,
        "status": status.value,
        "nhs_number": patient.nhs_number,
        "text": message.body or "",
        "sent_at": _iso(message.sent_at),
        "received_at": _iso(message.delivered_at),
        "in_response_to": None,
        "status_reason": reason,
        "reply_label": None,
    }


def reply_received(
    session: Session, inbound: InboundMessage, patient: Patient, *, now: datetime
) -> None:
    """A patient's reply, with its triage label and the message it answers."""
    trust = session.get(Trust, patient.trust_id)
    assert trust is not None
    write_back = _write_back(trust)
    if write_back is None:
        return
    answered = session.scalar(
        select(OutboundMessage.id)
        .where(
            OutboundMessage.patient_id == patient.id,
            OutboundMessage.staff_member_id.is_(None),
            OutboundMessage.sent_at.is_not(None),
            OutboundMessage.sent_at <= inbound.received_at,
        )
        .order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc())
        .limit(1)
    )
    record = {
        "message_id": f"in-{inbound.id}",
        "direction": Direction.FROM_PATIENT.value,
        "medium": Medium.SMS.value,
        "status": CommunicationStatus.COMPLETED.value,
        "nhs_number": patient.nhs_number,
        "text": inbound.body,
        "sent_at": None,
        "received_at": _iso(inbound.received_at),
        "in_response_to": f"out-{answered}" if answered is not None else None,
        "status_reason": None,
        "reply_label": inbound.label,
    }
    _add(
        session,
        trust,
        write_back,
        patient_id=patient.id,
        event=EventType.COMMUNICATION_RECEIVED,
        key=f"communication-in-{inbound.id}",
        resource_type=COMMUNICATION,
        record=record,
        now=now,
    )


def alert_changed(session: Session, alert: Alert, what: str, *, now: datetime) -> None:
    """An alert raised, upgraded, acknowledged or resolved: its Flag with the outcome so far."""
    if alert.patient_id is None:
        return  # an unknown sender's alert is on no patient's record: nothing to write back
    trust = session.get(Trust, alert.trust_id)
    patient = session.get(Patient, alert.patient_id)
    assert trust is not None and patient is not None
    write_back = _write_back(trust)
    if write_back is None:
        return
    record = {
        "alert_id": str(alert.id),
        "level": alert.level,
        "state": alert.state,
        "nhs_number": patient.nhs_number,
        "raised_at": _iso(alert.raised_at),
        "acknowledged_at": _iso(alert.acknowledged_at),
        "resolved_at": _iso(alert.resolved_at),
        "outcome": ": ".join(p for p in (alert.outcome_name, alert.outcome_note) if p) or None,
        "reply_message_id": f"in-{alert.inbound_message_id}" if alert.inbound_message_id else None,
    }
    _add(
        session,
        trust,
        write_back,
        patient_id=patient.id,
        event=EventType.FLAG_RAISED if what == "raised" else EventType.FLAG_UPDATED,
        key=f"flag-{alert.id}-r{alert.round}-{what}",
        resource_type=FLAG,
        record=record,
        now=now,
    )


# -- the body ------------------------------------------------------------------------------


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def resource_of(callback: Callback, context: FhirContext) -> dict[str, Any]:
    record = callback.record
    if callback.resource_type == FLAG:
        raised = _time(record["raised_at"])
        assert raised is not None
        return build_flag(
            AlertRecord(
                alert_id=record["alert_id"],
                level=Label(record["level"]),
                state=AlertState(record["state"]),
                nhs_number=record["nhs_number"],
                raised_at=raised,
                acknowledged_at=_time(record["acknowledged_at"]),
                resolved_at=_time(record["resolved_at"]),
                outcome=record["outcome"],
                reply_message_id=record["reply_message_id"],
            ),
            context,
        )
    return build_communication(
        CommunicationRecord(
            message_id=record["message_id"],
            direction=Direction(record["direction"]),
            medium=Medium(record["medium"]),
            status=CommunicationStatus(record["status"]),
            nhs_number=record["nhs_number"],
            text=record["text"],
            sent_at=_time(record["sent_at"]),
            received_at=_time(record["received_at"]),
            in_response_to=record["in_response_to"],
            status_reason=record["status_reason"],
            reply_label=Label(record["reply_label"]) if record["reply_label"] else None,
        ),
        context,
    )


def body_of(callback: Callback, *, trust_code: str, base_url: str) -> bytes:
    """The exact bytes sent and signed: the same for every attempt and every pull."""
    resource = resource_of(callback, FhirContext(base_url, trust_code))
    return build_callback(
        EventType(callback.event_type),
        resource,
        idempotency_key=callback.idempotency_key,
        created=callback.created_at,
        trust=trust_code,
    ).body


# -- delivery ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCallback:
    callback_id: int
    trust_id: int
    key: str
    event_type: str
    url: str
    secret_env: str | None
    secret_file: str | None
    body: bytes


def claim_due(session: Session, *, now: datetime, limit: int, base_url: str) -> list[DueCallback]:
    """Callbacks due to be sent, oldest first, leased so another tick leaves them alone. A
    trust whose endpoint is gone from the configuration keeps its rows for the feed."""
    rows = session.execute(
        select(Callback, Trust)
        .join(Trust, Trust.id == Callback.trust_id)
        .where(Callback.state == CallbackState.PENDING, Callback.next_attempt_at <= now)
        .order_by(Callback.id)
        .limit(limit)
        .with_for_update(of=Callback, skip_locked=True)
    ).all()
    due: list[DueCallback] = []
    for callback, trust in rows:
        write_back = _write_back(trust)
        if write_back is None or write_back.callback_url is None:
            callback.state = CallbackState.PULL_ONLY
            callback.next_attempt_at = None
            continue
        callback.next_attempt_at = now + DELIVERY_LEASE
        due.append(
            DueCallback(
                callback_id=callback.id,
                trust_id=trust.id,
                key=callback.idempotency_key,
                event_type=callback.event_type,
                url=write_back.callback_url,
                secret_env=write_back.secret_env,
                secret_file=write_back.secret_file,
                body=body_of(callback, trust_code=trust.code, base_url=base_url),
            )
        )
    return due


def record_delivery(
    session: Session,
    callback_id: int,
    *,
    delivered: bool,
    status: int | None,
    reason: str,
    retry_after: float | None,
    now: datetime,
) -> datetime | None:
    """One attempt's outcome. Returns when it is tried again (None: delivered, or given up)."""
    callback = session.get(Callback, callback_id, with_for_update=True)
    if callback is None or callback.state != CallbackState.PENDING:
        return None
    callback.attempts += 1
    callback.last_status = status
    callback.last_error = None if delivered else reason[:200]
    if delivered:
        callback.state = CallbackState.DELIVERED
        callback.delivered_at = now
        callback.next_attempt_at = None
        return None
    retry = next_attempt_at(callback.created_at, callback.attempts, now, retry_after=retry_after)
    if retry is not None:
        callback.next_attempt_at = retry
        return retry
    callback.state = CallbackState.FAILED
    callback.failed_at = now
    callback.next_attempt_at = None
    audit.record(
        session,
        "callback.failed",
        "callback",
        callback.id,
        actor=audit.SYSTEM,
        trust_id=callback.trust_id,
        now=now,
        attempts=callback.attempts,
        last_status=status,
    )
    log.error("callback_gave_up", callback_id=callback.id, trust_id=callback.trust_id)
    tell_a_person(session, callback.trust_id, now=now)
    return None


def wait_behind(session: Session, callback_ids: list[int], until: datetime) -> None:
    """Callbacks not tried this time because an earlier one to the same endpoint just failed:
    they wait for its retry, in order, and are not counted as attempts."""
    if callback_ids:
        session.execute(
            update(Callback)
            .where(Callback.id.in_(callback_ids), Callback.state == CallbackState.PENDING)
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )


def tell_a_person(session: Session, trust_id: int, *, now: datetime) -> None:
    """The trust's admins (else its coordinators) hear, once a day at most, that its record is
    missing write-backs: by email, or by SMS when they have no email."""
    trust = session.get(Trust, trust_id)
    assert trust is not None
    failed = int(
        session.scalar(
            select(func.count())
            .select_from(Callback)
            .where(Callback.trust_id == trust_id, Callback.state == CallbackState.FAILED)
        )
        or 0
    )
    members = _people_to_tell(session, trust_id)
    day = now.astimezone(trust_config(trust).zone).date().isoformat()
    message_each_staff_member(
        session,
        members,
        key_prefix=f"writeback_failed:{trust_id}:{day}",
        kind=MessageKind.INTEGRATION,
        template_key="writeback_failed",
        context={"failed_callbacks": failed},
        now=now,
    )


def _people_to_tell(session: Session, trust_id: int) -> list[StaffMember]:
    for role in (StaffRole.ADMIN, StaffRole.COORDINATOR):
        members = list(
            session.scalars(
                select(StaffMember).where(
                    StaffMember.trust_id == trust_id,
                    StaffMember.role == role,
                    StaffMember.active.is_(True),
                )
            )
        )
        if members:
            return members
    return []


# -- the feed ------------------------------------------------------------------------------


def feed(session: Session, trust_id: int, *, after: int, limit: int) -> list[Callback]:
    """The trust's write-backs after id `after`, oldest first: what an integration engine pulls."""
    return list(
        session.scalars(
            select(Callback)
            .where(Callback.trust_id == trust_id, Callback.id > after)
            .order_by(Callback.id)
            .limit(limit)
        )
    )
