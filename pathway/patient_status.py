"""A patient's status: paused, resumed, discharged, opted out or back in, and the rule that keeps
a message from a patient who must not get it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pathway import audit
from pathway.errors import PatientInputError
from pathway.planning import cancel_planned, replan
from schema.models import OutboundMessage, Patient, PatientStatus
from schema.trust_config import TrustConfig
from schema.vocabulary import MessageKind


def discharge(
    session: Session, patient: Patient, *, now: datetime, actor: str, reason: str | None = None
) -> None:
    _change_status(session, patient, PatientStatus.DISCHARGED, now=now, actor=actor)
    cancel_planned(session, patient, now, reason=reason)


def record_death(
    session: Session,
    patient: Patient,
    *,
    now: datetime,
    actor: str,
    source: str,
    detail: str,
) -> bool:
    """The patient has died (PDS, the PAS): everything planned for them is cancelled with that
    reason, they leave the safety net, and no check is owed any more. False if already known.
    The send path refuses anything to them too (`suppression_reason`), whatever was claimed."""
    if patient.deceased_at is not None:
        return False
    patient.deceased_at = now
    patient.pds_next_check_at = None
    if patient.status != PatientStatus.DISCHARGED:
        patient.status = PatientStatus.DISCHARGED
    patient.updated_at = now
    cancelled = cancel_planned(session, patient, now, everything=True, reason="deceased")
    audit.record(
        session,
        "patient.deceased",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        source=source,
        detail=detail,
        cancelled=cancelled,
    )
    return True


def pause(session: Session, patient: Patient, *, now: datetime, actor: str) -> None:
    _change_status(session, patient, PatientStatus.PAUSED, now=now, actor=actor)


def resume(
    session: Session, patient: Patient, config: TrustConfig, *, now: datetime, actor: str
) -> None:
    _change_status(session, patient, PatientStatus.ACTIVE, now=now, actor=actor)
    if patient.opted_out_at is None:
        replan(session, patient, config, now=now, actor=actor, reason="resumed")


def opt_out(session: Session, patient: Patient, *, now: datetime, actor: str, via: str) -> bool:
    """Record an opt-out and cancel everything queued for the patient. False if already out."""
    if patient.opted_out_at is not None:
        return False
    patient.opted_out_at = now
    cancelled = cancel_planned(session, patient, now, everything=True)
    audit.record(
        session,
        "patient.opted_out",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        via=via,
        cancelled=cancelled,
    )
    return True


def opt_in(
    session: Session, patient: Patient, config: TrustConfig, *, now: datetime, actor: str, via: str
) -> bool:
    if patient.opted_out_at is None:
        return False
    patient.opted_out_at = None
    audit.record(
        session,
        "patient.opted_in",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        via=via,
    )
    if patient.status == PatientStatus.ACTIVE:
        replan(session, patient, config, now=now, actor=actor, reason="opted_in")
    return True


def _change_status(
    session: Session, patient: Patient, status: PatientStatus, *, now: datetime, actor: str
) -> None:
    if patient.status == status:
        return
    if patient.status == PatientStatus.DISCHARGED:
        raise PatientInputError(["status: a discharged patient must be enrolled again"])
    previous = patient.status
    patient.status = status
    patient.updated_at = now
    audit.record(
        session,
        f"patient.{status.value}",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        previous=previous,
    )


def suppression_reason(patient: Patient, message: OutboundMessage) -> str | None:
    """Why this message must not go to this patient now, or None.

    Only messages to the patient are ever suppressed; staff alerts about them always go. A
    patient who has died gets nothing. An opt-out stops everything but its own confirmation.
    Pausing or discharge stops planned messages; a reply's own answer (advice, help) still
    goes, because the patient wrote to us.
    """
    if message.staff_member_id is not None:
        return None
    if patient.deceased_at is not None:
        return "deceased"  # nothing at all, not even a confirmation, reaches the number
    if patient.erased_at is not None:
        return "erased"  # the patient asked us to hold nothing about them: nothing goes
    if patient.opted_out_at is not None and message.template_key != "stop_confirmation":
        return "opted_out"
    planned = message.kind == MessageKind.PLANNED
    if planned and patient.status != PatientStatus.ACTIVE:
        return str(patient.status)
    return None
