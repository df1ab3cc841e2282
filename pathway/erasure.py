"""Erasure on request (UK GDPR article 17, where the trust's lawful basis allows): the patient's
identifiers and every body about them blanked at once, their planned messages cancelled, the
erasure audited, and a keyed hash of the NHS number kept so that no later import enrols them
again (issue 17 item 3; hazard H22).

What stays is the history without the person: rows, states, times, labels, symptom codes,
alerts' structured outcomes, and the audit trail. Refused while the patient has an alert not
resolved: a red flag is never lost, and a person acting on it needs the number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pathway import audit
from pathway.enrolment import PatientInputError
from pathway.planning import cancel_planned
from schema import tombstones
from schema.models import (
    Alert,
    AlertState,
    Callback,
    InboundMessage,
    IntegrationMessage,
    MessageState,
    NoticeState,
    OutboundMessage,
    Patient,
    PatientContact,
    PatientNotice,
    PatientStatus,
)

ERASED_ACTION = "patient.erased"
REASON = "erased"


def erased_nhs_number(patient_id: int) -> str:
    """What stands in the NHS number's place: unique per patient, never a valid NHS number."""
    return f"E{patient_id:09d}"


def _records(session: Session, patient: Patient) -> list[Patient]:
    """The patient and any records merged into theirs: one person."""
    merged = session.scalars(select(Patient).where(Patient.merged_into_id == patient.id))
    return [patient, *merged]


def erase(
    session: Session, patient: Patient, *, actor: str, reason: str, now: datetime
) -> dict[str, int]:
    """Erase the patient now. Returns the rows blanked per table (also in the audit event)."""
    if patient.erased_at is not None:
        return {}
    records = _records(session, patient)
    ids = [record.id for record in records]
    open_alert = session.scalar(
        select(Alert.code).where(Alert.patient_id.in_(ids), Alert.state != AlertState.RESOLVED)
    )
    if open_alert is not None:
        raise PatientInputError(
            [f"patient: alert {open_alert} is not resolved; resolve it before erasing the patient"]
        )
    counts: dict[str, int] = {}
    for record in records:
        cancelled = cancel_planned(session, record, now, everything=True, reason=REASON)
        counts["cancelled"] = counts.get("cancelled", 0) + cancelled
        tombstones.bury(session, record.trust_id, record.nhs_number, now=now)
    counts["cancelled"] += _cancel_staff_messages(session, ids, now)
    counts.update(_blank_rows(session, ids, now))
    for record in records:
        _blank_patient(record, now)
    audit.record(
        session,
        ERASED_ACTION,
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        reason=reason,
        records=ids,
        counts=counts,
    )
    session.flush()
    return counts


def _cancel_staff_messages(session: Session, ids: list[int], now: datetime) -> int:
    """Notices to staff about the patient not yet on their way (nothing is left to tell)."""
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.patient_id.in_(ids),
            OutboundMessage.state == MessageState.SCHEDULED,
        )
        .values(state=MessageState.CANCELLED, state_changed_at=now, error_message=REASON)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _count(session: Session, statement: object) -> int:
    result = session.execute(statement)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


def _blank_rows(session: Session, ids: list[int], now: datetime) -> dict[str, int]:
    quiet = {"synchronize_session": False}
    counts = {
        "outbound_messages": _count(
            session,
            update(OutboundMessage)
            .where(OutboundMessage.patient_id.in_(ids))
            .values(body=None, subject=None, context={}, to_address="", content_purged_at=now)
            .execution_options(**quiet),
        ),
        "inbound_messages": _count(
            session,
            update(InboundMessage)
            .where(InboundMessage.patient_id.in_(ids))
            .values(
                body="",
                from_address="",
                from_hmac=None,  # a bulk UPDATE: no model event blanks the hash
                evidence={},
                review_note=None,
                body_purged_at=now,
                evidence_purged_at=now,
            )
            .execution_options(**quiet),
        ),
        "alerts": _count(
            session,
            update(Alert)
            .where(Alert.patient_id.in_(ids))
            .values(outcome_note=None)  # free text; the structured outcome stays
            .execution_options(**quiet),
        ),
        # a carer's or a new phone's number is an identifier too (issue 12's contacts list)
        "patient_contacts": _count(
            session,
            delete(PatientContact)
            .where(PatientContact.patient_id.in_(ids))
            .execution_options(**quiet),
        ),
        "patient_notices": _count(
            session,
            update(PatientNotice)
            .where(PatientNotice.patient_id.in_(ids))
            .values(details={})
            .execution_options(**quiet),
        ),
        # a proposal about someone erased is moot: nobody is asked to decide it any more
        "patient_notices_closed": _count(
            session,
            update(PatientNotice)
            .where(PatientNotice.patient_id.in_(ids), PatientNotice.state == NoticeState.OPEN)
            .values(state=NoticeState.DISMISSED, decided_at=now)
            .execution_options(**quiet),
        ),
        "integration_messages": _count(
            session,
            update(IntegrationMessage)
            .where(IntegrationMessage.patient_id.in_(ids), IntegrationMessage.raw.is_not(None))
            .values(raw=None, raw_purged_at=now)
            .execution_options(**quiet),
        ),
    }
    callbacks = list(session.scalars(select(Callback).where(Callback.patient_id.in_(ids))))
    for callback in callbacks:
        record = dict(callback.record)
        for field in ("text", "nhs_number"):
            if field in record:
                record[field] = ""
        callback.record = record
    counts["callbacks"] = len(callbacks)
    return counts


def _blank_patient(patient: Patient, now: datetime) -> None:
    patient.nhs_number = erased_nhs_number(patient.id)
    patient.given_name = ""
    patient.family_name = ""
    patient.phone_e164 = ""
    patient.email = None
    patient.contacts_purged_at = now
    patient.erased_at = now
    patient.status = PatientStatus.DISCHARGED
    patient.pds_next_check_at = None
    patient.updated_at = now
