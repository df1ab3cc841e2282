"""A patient's numbers: their record's own, any new phone linked to them, and carers' numbers.

A coordinator links the number of an unknown sender's reply from the dashboard: as the
patient's new phone, or as a carer's, whose texts are then read as reports about the patient.
Each number is one patient's within a trust; linking is audited, never silent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from pathway import audit
from schema.encryption import lookup_hmac
from schema.identifiers import InvalidIdentifier, parse_phone
from schema.models import Alert, AlertState, InboundMessage, Patient, PatientContact, PatientStatus
from schema.vocabulary import ContactKind, SenderKind


class ContactError(ValueError):
    """A number that cannot be linked, with the reason a coordinator reads."""


def patients_with_number(session: Session, trust_id: int, number: str) -> list[Patient]:
    """The patients whose own number this is: on their record, or linked as their new phone.
    Active ones first, then the most recently enrolled. (Two indexed lookups, not one OR: this
    runs for every reply.) Found by the number's keyed hash: the number itself is encrypted."""
    digest = lookup_hmac(number)
    if digest is None:
        return []
    linked = list(
        session.scalars(
            select(PatientContact.patient_id).where(
                PatientContact.trust_id == trust_id,
                PatientContact.number_hmac == digest,
                PatientContact.kind == ContactKind.PATIENT,
            )
        )
    )
    whose = Patient.phone_hmac == digest
    status_order = case((Patient.status == PatientStatus.ACTIVE, 0), else_=1)
    return list(
        session.scalars(
            select(Patient)
            .where(
                Patient.trust_id == trust_id,
                or_(whose, Patient.id.in_(linked)) if linked else whose,
            )
            .order_by(status_order, Patient.enrolled_at.desc())
        )
    )


def carer_for(session: Session, trust_id: int, number: str) -> Patient | None:
    """The patient whose carer has this number, if any."""
    digest = lookup_hmac(number)
    if digest is None:
        return None
    return session.scalar(
        select(Patient)
        .join(PatientContact, PatientContact.patient_id == Patient.id)
        .where(
            PatientContact.trust_id == trust_id,
            PatientContact.number_hmac == digest,
            PatientContact.kind == ContactKind.CARER,
        )
    )


def contacts_of(session: Session, patient: Patient) -> list[PatientContact]:
    return list(
        session.scalars(
            select(PatientContact)
            .where(PatientContact.patient_id == patient.id)
            .order_by(PatientContact.id)
        )
    )


def link_number(
    session: Session,
    inbound: InboundMessage,
    patient: Patient,
    kind: ContactKind,
    *,
    actor: str,
    now: datetime,
) -> PatientContact:
    """Record the number an unknown sender's reply came from as the patient's (a new phone) or
    their carer's. The reply is then the patient's, and an open unknown-sender alert it raised
    becomes the patient's alert, unless the patient has an open alert of their own already (one
    per patient): then it stays as it is, escalating until someone takes it."""
    if inbound.trust_id != patient.trust_id:
        raise ContactError("the reply and the patient are not of one trust")
    if inbound.sender_kind != SenderKind.UNKNOWN:
        raise ContactError("only a reply from an unknown number can be linked")
    try:
        number = parse_phone(inbound.from_address)
    except InvalidIdentifier:
        raise ContactError("the reply did not come from a phone number") from None
    taken = session.scalar(
        select(PatientContact).where(
            PatientContact.trust_id == patient.trust_id,
            PatientContact.number_hmac == lookup_hmac(number),
        )
    )
    if taken is not None:
        raise ContactError("this number is already linked to a patient")
    if patients_with_number(session, patient.trust_id, number):
        raise ContactError("this number is already a patient's")
    contact = PatientContact(
        trust_id=patient.trust_id,
        patient_id=patient.id,
        number_e164=number,
        kind=kind,
        created_at=now,
        created_by=actor,
    )
    session.add(contact)
    session.flush()
    # Every earlier reply from the number is the patient's too, on their timeline.
    session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.trust_id == patient.trust_id,
            InboundMessage.from_hmac == lookup_hmac(inbound.from_address),
            InboundMessage.sender_kind == SenderKind.UNKNOWN,
            InboundMessage.patient_id.is_(None),
        )
        .values(patient_id=patient.id)
        .execution_options(synchronize_session="fetch")
    )
    inbound.patient_id = patient.id
    moved = _adopt_unknown_alert(session, inbound, patient)
    audit.record(
        session,
        "contact.linked",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        kind=kind,
        inbound_message_id=inbound.id,
        alert_id=moved,
    )
    return contact


def _adopt_unknown_alert(session: Session, inbound: InboundMessage, patient: Patient) -> int | None:
    if inbound.alert_id is None:
        return None
    alert = session.get(Alert, inbound.alert_id, with_for_update=True)
    if alert is None or alert.patient_id is not None or alert.state == AlertState.RESOLVED:
        return None
    has_own = session.scalar(
        select(Alert.id).where(Alert.patient_id == patient.id, Alert.state != AlertState.RESOLVED)
    )
    if has_own is not None:
        return None
    alert.patient_id = patient.id
    return alert.id
