"""Retention: each kind of identifying content is blanked once the trust's period for it is over,
and the history stays without it (issue 17; hazard H22).

What is blanked, by kind (`schema.trust_config.Retention`):

- `message_bodies`: a message's rendered body, subject and context (an alert's context quotes the
  reply), and the text of its write-back copy, once the message is settled (sent, delivered,
  failed, cancelled...) and the period has passed since it was sent (or last changed);
- `reply_bodies`: what a patient (or an unknown sender) wrote, and its write-back copy;
- `triage_evidence`: the evidence that quotes the reply's words (the label and the symptom codes
  stay);
- `contact_details`: the address on each settled message and reply, from the event; a patient's
  own phone number and email from their discharge (or death).

A reply is kept whole while a person still has to act on it: until it is handled, while its
review is open, and while an alert it raised or joined is not resolved; a patient's contact
details while they have an alert not resolved. Nothing else is touched: counts, states, times,
labels, symptom codes, outcomes and the audit trail (which holds no bodies) stay.

One query per rule finds what is due; the same query drives `status`, the dry run and the purge,
so a purge blanks exactly what the dry run listed. Each row is marked when blanked, so a second
run finds nothing: purging is idempotent, and each purge that blanked anything is audited with
its counts (never content).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from pathway import audit
from schema.heartbeats import record_heartbeat
from schema.models import (
    Alert,
    AlertState,
    AuditEvent,
    Callback,
    CallbackState,
    Heartbeat,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    PatientContact,
    PatientStatus,
    Trust,
)
from schema.trust_config import Retention, TrustConfig
from schema.trusts import trust_config
from schema.vocabulary import ReviewState

KINDS = ("message_bodies", "reply_bodies", "contact_details", "triage_evidence")
SETTLED_STATES = tuple(
    state.value
    for state in (
        MessageState.SENT,
        MessageState.DELIVERED,
        MessageState.UNDELIVERED,
        MessageState.FAILED,
        MessageState.CANCELLED,
        MessageState.SUPPRESSED,
    )
)
COMMUNICATION = "Communication"
RECEIVED = "communication.received"
BATCH = 500
PURGE_HOUR = 2  # local time: the nightly purge runs on beat's first tick after 02:00
AUDIT_ACTION = "retention.purged"


@dataclass(frozen=True)
class Due:
    """The rows of one table a rule would blank now, and what it blanks in them."""

    kind: str
    table: str
    blanks: str
    older_than: datetime
    ids: tuple[int, ...]


@dataclass(frozen=True)
class _Rule:
    kind: str
    table: str
    blanks: str
    select_ids: Callable[[int, datetime], Select[Any]]
    apply: Callable[[Session, list[int], datetime], None]


def _open_alert_ids() -> Select[Any]:
    return select(Alert.id).where(Alert.state != AlertState.RESOLVED)


def _reply_settled() -> ColumnElement[bool]:
    """Handled, its review (if any) closed, and no alert it raised or joined still open."""
    return and_(
        InboundMessage.handled_at.is_not(None),
        or_(InboundMessage.review_state.is_(None), InboundMessage.review_state != ReviewState.OPEN),
        or_(InboundMessage.alert_id.is_(None), InboundMessage.alert_id.not_in(_open_alert_ids())),
        ~exists().where(
            Alert.inbound_message_id == InboundMessage.id, Alert.state != AlertState.RESOLVED
        ),
    )


def _message_time() -> ColumnElement[datetime]:
    return func.coalesce(OutboundMessage.sent_at, OutboundMessage.state_changed_at)


def _outbound_bodies(trust_id: int, cutoff: datetime) -> Select[Any]:
    return select(OutboundMessage.id).where(
        OutboundMessage.trust_id == trust_id,
        OutboundMessage.content_purged_at.is_(None),
        OutboundMessage.state.in_(SETTLED_STATES),
        _message_time() < cutoff,
    )


def _outbound_addresses(trust_id: int, cutoff: datetime) -> Select[Any]:
    return select(OutboundMessage.id).where(
        OutboundMessage.trust_id == trust_id,
        OutboundMessage.to_address != "",
        OutboundMessage.state.in_(SETTLED_STATES),
        _message_time() < cutoff,
    )


def _inbound(trust_id: int, cutoff: datetime, *unpurged: ColumnElement[bool]) -> Select[Any]:
    return select(InboundMessage.id).where(
        InboundMessage.trust_id == trust_id,
        InboundMessage.received_at < cutoff,
        _reply_settled(),
        *unpurged,
    )


def _discharged_at() -> ColumnElement[datetime]:
    """When the patient left the safety net: their death, else the last discharge audited."""
    discharged = (
        select(func.max(AuditEvent.at))
        .where(
            AuditEvent.subject_type == "patient",
            AuditEvent.subject_id == Patient.id,
            AuditEvent.action == "patient.discharged",
        )
        .scalar_subquery()
    )
    return func.coalesce(Patient.deceased_at, discharged, Patient.updated_at)


def _patient_contacts(trust_id: int, cutoff: datetime) -> Select[Any]:
    return select(Patient.id).where(
        Patient.trust_id == trust_id,
        Patient.contacts_purged_at.is_(None),
        or_(Patient.status == PatientStatus.DISCHARGED, Patient.deceased_at.is_not(None)),
        _discharged_at() < cutoff,
        ~exists().where(Alert.patient_id == Patient.id, Alert.state != AlertState.RESOLVED),
    )


def _other_numbers(trust_id: int, cutoff: datetime) -> Select[Any]:
    """A patient's other numbers (a new phone, carers') go with their own, after discharge."""
    return select(PatientContact.id).where(
        PatientContact.patient_id.in_(_patient_contacts(trust_id, cutoff))
    )


def _delete_contacts(session: Session, ids: list[int], _now: datetime) -> None:
    session.execute(
        delete(PatientContact)
        .where(PatientContact.id.in_(ids))
        .execution_options(synchronize_session=False)
    )


def _callbacks(received: bool) -> Callable[[int, datetime], Select[Any]]:
    def select_ids(trust_id: int, cutoff: datetime) -> Select[Any]:
        kind = Callback.event_type == RECEIVED if received else Callback.event_type != RECEIVED
        return select(Callback.id).where(
            Callback.trust_id == trust_id,
            Callback.resource_type == COMMUNICATION,
            Callback.state != CallbackState.PENDING,  # still to be sent: the body is owed
            Callback.created_at < cutoff,
            Callback.record["text"].as_string() != "",
            kind,
        )

    return select_ids


NOW = object()  # in `_set`: the time of the purge


def _set(model: Any, **values: Any) -> Callable[[Session, list[int], datetime], None]:
    """Blank columns of these rows; a value `NOW` becomes the time of the purge."""

    def apply(session: Session, ids: list[int], now: datetime) -> None:
        resolved = {name: (now if value is NOW else value) for name, value in values.items()}
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(**resolved)
            .execution_options(synchronize_session=False)
        )

    return apply


def _blank_callback_text(session: Session, ids: list[int], now: datetime) -> None:
    for callback in session.scalars(select(Callback).where(Callback.id.in_(ids))):
        callback.record = {**callback.record, "text": ""}


RULES = (
    _Rule(
        "message_bodies",
        "outbound_messages",
        "body, subject, context",
        _outbound_bodies,
        _set(OutboundMessage, body=None, subject=None, context={}, content_purged_at=NOW),
    ),
    _Rule(
        "message_bodies",
        "callbacks",
        "the text of a message's write-back",
        _callbacks(received=False),
        _blank_callback_text,
    ),
    _Rule(
        "reply_bodies",
        "inbound_messages",
        "body",
        lambda trust_id, cutoff: _inbound(
            trust_id, cutoff, InboundMessage.body_purged_at.is_(None)
        ),
        _set(InboundMessage, body="", body_purged_at=NOW),
    ),
    _Rule(
        "reply_bodies",
        "callbacks",
        "the text of a reply's write-back",
        _callbacks(received=True),
        _blank_callback_text,
    ),
    _Rule(
        "triage_evidence",
        "inbound_messages",
        "evidence",
        lambda trust_id, cutoff: _inbound(
            trust_id, cutoff, InboundMessage.evidence_purged_at.is_(None)
        ),
        _set(InboundMessage, evidence={}, evidence_purged_at=NOW),
    ),
    _Rule(
        "contact_details",
        "outbound_messages",
        "to_address",
        _outbound_addresses,
        _set(OutboundMessage, to_address=""),
    ),
    _Rule(
        "contact_details",
        "inbound_messages",
        "from_address",
        lambda trust_id, cutoff: _inbound(trust_id, cutoff, InboundMessage.from_address != ""),
        _set(InboundMessage, from_address="", from_hmac=None),  # the hash would still find it
    ),
    _Rule(  # before the patients' own rule, which marks their contacts purged
        "contact_details",
        "patient_contacts",
        "carers' and other numbers (after discharge)",
        _other_numbers,
        _delete_contacts,
    ),
    _Rule(
        "contact_details",
        "patients",
        "phone number and email (after discharge)",
        _patient_contacts,
        # updated_at kept: it is the patient's own history, and the discharge time's fallback
        _set(
            Patient,
            phone_e164="",
            phone_hmac=None,
            email=None,
            contacts_purged_at=NOW,
            updated_at=Patient.updated_at,
        ),
    ),
)


def _period(retention: Retention, kind: str) -> timedelta | None:
    period: timedelta | None = getattr(retention, kind)
    return period


def due(session: Session, trust: Trust, config: TrustConfig, *, now: datetime) -> list[Due]:
    """Every rule's rows due now for this trust (a kind without a period is kept: no rows)."""
    found = []
    for rule in RULES:
        period = _period(config.retention, rule.kind)
        if period is None:
            continue
        cutoff = now - period
        ids = tuple(session.scalars(rule.select_ids(trust.id, cutoff).order_by(None)))
        found.append(Due(rule.kind, rule.table, rule.blanks, cutoff, tuple(sorted(ids))))
    return found


def _batches(ids: tuple[int, ...]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


def purge(
    session: Session, trust: Trust, config: TrustConfig, *, now: datetime, actor: str
) -> list[Due]:
    """Blank everything due now (exactly what `due` lists) and audit the counts."""
    found = due(session, trust, config, now=now)
    by_rule = {(rule.kind, rule.table): rule for rule in RULES}
    for item in found:
        for ids in _batches(item.ids):
            by_rule[(item.kind, item.table)].apply(session, ids, now)
    counts = {f"{item.kind}.{item.table}": len(item.ids) for item in found if item.ids}
    if counts:
        audit.record(
            session,
            AUDIT_ACTION,
            "trust",
            trust.id,
            actor=actor,
            trust_id=trust.id,
            now=now,
            counts=counts,
            periods={
                kind: str(_period(config.retention, kind))
                for kind in KINDS
                if _period(config.retention, kind) is not None
            },
        )
    session.flush()
    return found


def purge_due_tonight(config: TrustConfig, last_run: datetime | None, now: datetime) -> bool:
    """The nightly purge's turn: past 02:00 local time, and not yet run on this local date."""
    local = now.astimezone(config.zone)
    if local.hour < PURGE_HOUR:
        return False
    return last_run is None or last_run.astimezone(config.zone).date() < local.date()


def heartbeat_name(trust: Trust) -> str:
    return f"retention:{trust.code}"


def purge_tonight(session: Session, *, now: datetime, actor: str = audit.SYSTEM) -> dict[str, int]:
    """Beat's nightly purge: each trust whose turn it is (`purge_due_tonight`), once a night,
    remembered in the database (a heartbeat per trust). Returns rows blanked per trust code."""
    blanked: dict[str, int] = {}
    for trust in session.scalars(select(Trust).order_by(Trust.id)):
        config = trust_config(trust)
        name = heartbeat_name(trust)
        last_run = session.scalar(select(Heartbeat.at).where(Heartbeat.name == name))
        if not purge_due_tonight(config, last_run, now):
            continue
        found = purge(session, trust, config, now=now, actor=actor)
        record_heartbeat(session, name, now)
        blanked[trust.code] = sum(len(item.ids) for item in found)
    return blanked
