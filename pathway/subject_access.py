"""A subject-access export (UK GDPR article 15): everything the service holds about one patient,
as one JSON-ready document, audited (issue 17 item 2).

Everything whose `patient_id` is the patient: their record, every message about them (to them,
and to staff about them: the staff member is named, their address is not, being theirs), every
reply, alert (with its notifications and outcome), notice, message from the trust's systems
and write-back; and every audit event about any of those rows or done by the patient. Nothing
about anyone else: each section is selected by the patient's id or by ids already selected.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from pathway import audit
from schema.models import (
    Alert,
    AlertNotification,
    AuditEvent,
    Base,
    Callback,
    InboundMessage,
    IntegrationMessage,
    OutboundMessage,
    Patient,
    PatientContact,
    PatientNotice,
    StaffMember,
    Trust,
)

FORMAT = "mscc-safety-net/subject-access/1"
EXPORT_ACTION = "patient.exported"
# Never exported: a staff member's own address on a message about the patient.
STAFF_ADDRESS = "to_address"


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_of(row: Base, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row, as JSON values."""
    return {
        column.key: _value(getattr(row, column.key))
        for column in row.__table__.columns
        if column.key not in leave_out
    }


def _rows(session: Session, model: Any, *where: ColumnElement[bool]) -> list[Any]:
    return list(session.scalars(select(model).where(*where).order_by(model.id)))


def _subjects(ids: dict[str, list[int]]) -> ColumnElement[bool]:
    return or_(
        *(
            and_(AuditEvent.subject_type == kind, AuditEvent.subject_id.in_(values))
            for kind, values in ids.items()
            if values
        )
    )


def collect(session: Session, patient: Patient) -> dict[str, Any]:
    """The document: JSON values only, sections in a fixed order."""
    trust = session.get(Trust, patient.trust_id)
    assert trust is not None
    outbound = _rows(session, OutboundMessage, OutboundMessage.patient_id == patient.id)
    inbound = _rows(session, InboundMessage, InboundMessage.patient_id == patient.id)
    alerts = _rows(session, Alert, Alert.patient_id == patient.id)
    alert_ids = [a.id for a in alerts]
    notifications = _rows(session, AlertNotification, AlertNotification.alert_id.in_(alert_ids))
    notices = _rows(session, PatientNotice, PatientNotice.patient_id == patient.id)
    integration = _rows(session, IntegrationMessage, IntegrationMessage.patient_id == patient.id)
    callbacks = _rows(session, Callback, Callback.patient_id == patient.id)
    contacts = _rows(session, PatientContact, PatientContact.patient_id == patient.id)
    subject_ids = {
        "patient": [patient.id],
        "outbound_message": [m.id for m in outbound],
        "inbound_message": [m.id for m in inbound],
        "alert": alert_ids,
        "patient_notice": [n.id for n in notices],
    }
    events = _rows(
        session,
        AuditEvent,
        or_(_subjects(subject_ids), AuditEvent.actor == audit.patient_actor(patient.id)),
    )
    staff_ids = {m.staff_member_id for m in outbound} | {n.staff_member_id for n in notifications}
    staff_ids |= {a.acknowledged_by_id for a in alerts} | {a.resolved_by_id for a in alerts}
    staff_ids |= {m.reviewed_by_id for m in inbound}
    names = {
        member.id: member.name
        for member in _rows(session, StaffMember, StaffMember.id.in_(staff_ids - {None}))
    }

    def message(row: OutboundMessage) -> dict[str, Any]:
        to_staff = row.staff_member_id is not None
        found = row_of(row, leave_out=(STAFF_ADDRESS,) if to_staff else ())
        found["recipient"] = f"staff: {names[row.staff_member_id]}" if to_staff else "patient"
        return found

    return {
        "format": FORMAT,
        "trust": {"code": trust.code, "name": trust.name},
        "patient": row_of(patient),
        "contacts": [row_of(c) for c in contacts],  # their other numbers, carers' among them
        "messages_sent": [message(m) for m in outbound],
        "messages_received": [row_of(m) for m in inbound],
        "alerts": [
            {
                **row_of(alert),
                "acknowledged_by_name": names.get(alert.acknowledged_by_id or 0),
                "resolved_by_name": names.get(alert.resolved_by_id or 0),
                "notifications": [
                    {**row_of(n), "staff_name": names.get(n.staff_member_id)}
                    for n in notifications
                    if n.alert_id == alert.id
                ],
            }
            for alert in alerts
        ],
        "notices": [row_of(n) for n in notices],
        "integration_messages": [row_of(m) for m in integration],
        "write_backs": [row_of(c) for c in callbacks],
        "audit_events": [row_of(e) for e in events],
    }


def export(session: Session, patient: Patient, *, actor: str, now: datetime) -> dict[str, Any]:
    """The document, with the export itself audited first (it is in the document it records)."""
    audit.record(
        session,
        EXPORT_ACTION,
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
    )
    session.flush()
    document = collect(session, patient)
    document["exported_at"] = now.isoformat()
    document["exported_by"] = actor
    return document
