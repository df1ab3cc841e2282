"""What an event from the trust's systems (an HL7v2 ADT message or a FHIR request, both read into
a `PatientEvent`) does to our records. The same rules for both wires:

- enrol or update (A01, A04, A08; an active EpisodeOfCare or Flag): a patient we do not know is
  enrolled in the cohort the trust's first matching rule names (none matching: nothing happens);
  one we know has their names and email updated, and a different mobile becomes a notice for a
  coordinator to confirm, never a silent change; a discharged one whose event matches a rule is
  enrolled again;
- a Patient alone (FHIR) only updates: it never enrols;
- discharge (A03; a finished EpisodeOfCare, an inactive Flag) only when the event matches a rule
  for the patient's own cohort: leaving another ward or clinic does not take anyone out of the
  safety net;
- cancel the enrolment (A11; cancelled or entered-in-error) only when this feed made the
  enrolment in force; cancel the discharge (A13) only when this feed's last change was the
  discharge. Anything a coordinator did is left to a coordinator;
- merge (A40): `pathway.patient_merge`.

A death the event reports is recorded (nothing more is sent), a restriction marks the record.
Whatever cannot be applied raises `InvalidMessage` naming the field: the caller rolls back, so a
bad message changes nothing. Notes returned are for the sender's ACK or OperationOutcome and
carry no identifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from messages import fhir, hl7v2
from messages.patient_events import (
    FieldError,
    InvalidMessage,
    PatientAction,
    PatientEvent,
    missing_for_enrolment,
)
from pathway import audit, integration_store, patient_status
from pathway.enrolment import enrol, parse_patient
from pathway.errors import PatientInputError
from pathway.patient_details import update_patient
from pathway.patient_merge import merge_patients
from pathway.pds_checks import died, mark_restricted, mobile_differs
from pathway.planning import replan
from schema.models import Patient, PatientStatus, Trust
from schema.trust_config import TrustConfig

NOTHING = "nothing"
MAX_NAME = 100

# Where each of our fields is written in each wire, for errors that name the sender's field.
FIELDS = {
    "hl7v2": {
        "nhs_number": "PID-3",
        "family_name": "PID-5.1",
        "given_name": "PID-5.2",
        "phone": "PID-13",
        "email": "PID-13",
        "cohort": "PV1",
        "language": "PID-15",
    },
    "fhir": {
        "nhs_number": "Patient.identifier",
        "family_name": "Patient.name.family",
        "given_name": "Patient.name.given",
        "phone": "Patient.telecom",
        "email": "Patient.telecom",
        "cohort": "EpisodeOfCare.type",
        "language": "Patient.communication",
    },
}
ENROLMENT_FIELDS = {"hl7v2": hl7v2.ENROLMENT_FIELDS, "fhir": fhir.ENROLMENT_FIELDS}


@dataclass(frozen=True)
class Applied:
    outcome: str  # enrolled, re-enrolled, updated, discharged, deceased, ... or nothing
    patient_id: int | None
    note: str  # for the ACK's MSA-3 or the OperationOutcome: ids, never identifiers


@dataclass(frozen=True)
class _Event:
    session: Session
    trust: Trust
    config: TrustConfig
    event: PatientEvent
    now: datetime

    @property
    def actor(self) -> str:
        return f"{self.event.source}:{self.event.sender}"[:100]

    def cohort(self) -> str | None:
        markers = [(m.kind.value, m.code, m.system) for m in self.event.markers]
        return self.config.integration.cohort_for(markers)

    def field(self, name: str) -> str:
        return FIELDS[self.event.source].get(name, name)


def apply_event(
    session: Session, trust: Trust, config: TrustConfig, event: PatientEvent, *, now: datetime
) -> Applied:
    """Apply one event; InvalidMessage (nothing may be kept) when it cannot be."""
    if event.action == PatientAction.MERGE:
        assert event.merged_nhs_number is not None
        outcome, patient_id, note = merge_patients(
            session,
            trust,
            config,
            survivor_nhs=event.patient.nhs_number,
            merged_nhs=event.merged_nhs_number,
            source=event.source,
            now=now,
        )
        return Applied(outcome, patient_id, note)
    context = _Event(session, trust, config, event, now)
    patient = session.scalar(
        select(Patient)
        .where(Patient.trust_id == trust.id, Patient.nhs_number == event.patient.nhs_number)
        .with_for_update()
    )
    return _ACTIONS[event.action](context, patient)


def _enrol_or_update(ctx: _Event, patient: Patient | None) -> Applied:
    cohort = ctx.cohort()
    if patient is None:
        if ctx.event.patient.deceased:
            return Applied(NOTHING, None, "not enrolled: the patient is recorded as deceased")
        if cohort is None:
            return Applied(NOTHING, None, "no cohort rule matches: nothing to do")
        return _enrol_new(ctx, cohort)
    settled = _settled(ctx, patient)
    if settled is not None:
        return settled
    changed = _update_details(ctx, patient)
    if patient.status == PatientStatus.DISCHARGED and cohort is not None:
        _re_enrol(ctx, patient, cohort)
        return Applied(
            "re-enrolled", patient.id, f"patient {patient.id} enrolled again in {cohort}"
        )
    if changed:
        return Applied("updated", patient.id, f"patient {patient.id} updated")
    return Applied(NOTHING, patient.id, f"patient {patient.id}: nothing to change")


def _update_only(ctx: _Event, patient: Patient | None) -> Applied:
    if patient is None:
        raise InvalidMessage(
            [
                FieldError(
                    ctx.field("nhs_number"),
                    "no patient of this trust has this NHS number: a Patient alone updates "
                    "a record, it never enrols (send an EpisodeOfCare or Flag to enrol)",
                )
            ]
        )
    settled = _settled(ctx, patient)
    if settled is not None:
        return settled
    if _update_details(ctx, patient):
        return Applied("updated", patient.id, f"patient {patient.id} updated")
    return Applied(NOTHING, patient.id, f"patient {patient.id}: nothing to change")


def _settled(ctx: _Event, patient: Patient) -> Applied | None:
    """A record nothing more may change (died, merged away), or a death just reported."""
    if patient.deceased_at is not None:
        return Applied(NOTHING, patient.id, "the patient is recorded as deceased: nothing changed")
    if patient.merged_into_id is not None:
        return Applied(
            NOTHING, patient.id, f"this record was merged into patient {patient.merged_into_id}"
        )
    if ctx.event.patient.deceased:
        died(
            ctx.session, patient, source=ctx.event.source, detail="reported by the PAS", now=ctx.now
        )
        return Applied("deceased", patient.id, f"patient {patient.id} recorded as deceased")
    return None


def _enrol_new(ctx: _Event, cohort: str) -> Applied:
    event = ctx.event
    missing = missing_for_enrolment(event, ENROLMENT_FIELDS[event.source])
    if missing:
        raise InvalidMessage(missing)
    details = event.patient
    raw = {
        "nhs_number": details.nhs_number,
        "given_name": details.given_name,
        "family_name": details.family_name,
        "phone": details.mobile,
        "email": details.email or "",
        "cohort": cohort,
        "language": "",  # not recorded: a trust serving Welsh writes bilingually
    }
    try:
        checked = parse_patient(raw, ctx.config)
    except PatientInputError as error:
        raise InvalidMessage([_named(ctx, reason) for reason in error.reasons]) from None
    # A feed never loses a patient over a shared phone: enrolled, and the share audited.
    patient = enrol(
        ctx.session,
        ctx.trust,
        ctx.config,
        checked,
        actor=ctx.actor,
        now=ctx.now,
        allow_staff_number=True,
    )
    if details.restricted:
        mark_restricted(ctx.session, patient, source=event.source, now=ctx.now)
    return Applied("enrolled", patient.id, f"enrolled patient {patient.id} in {cohort}")


def _named(ctx: _Event, reason: str) -> FieldError:
    field, _, message = reason.partition(": ")
    return FieldError(ctx.field(field), message or reason)


def _update_details(ctx: _Event, patient: Patient) -> bool:
    """Names and email as sent; a different mobile or a restriction: see pathway.pds_checks."""
    details = ctx.event.patient
    changes: dict[str, str | None] = {}
    for name, value in (("given_name", details.given_name), ("family_name", details.family_name)):
        if value and value != getattr(patient, name):
            if len(value) > MAX_NAME:
                raise InvalidMessage(
                    [FieldError(ctx.field(name), f"longer than {MAX_NAME} characters")]
                )
            changes[name] = value
    if details.email and details.email != patient.email:
        changes["email"] = details.email
    changed = bool(changes) and bool(
        update_patient(ctx.session, patient, ctx.config, changes, actor=ctx.actor, now=ctx.now)
    )
    if details.mobile and details.mobile != patient.phone_e164:
        mobile_differs(ctx.session, patient, details.mobile, source=ctx.event.source, now=ctx.now)
        changed = True
    if details.restricted and not patient.restricted:
        mark_restricted(ctx.session, patient, source=ctx.event.source, now=ctx.now)
        changed = True
    return changed


def _re_enrol(ctx: _Event, patient: Patient, cohort: str) -> None:
    patient.status = PatientStatus.ACTIVE
    patient.cohort = cohort
    patient.enrolled_at = ctx.now
    patient.updated_at = ctx.now
    patient.pds_next_check_at = ctx.now
    audit.record(
        ctx.session,
        "patient.re_enrolled",
        "patient",
        patient.id,
        actor=ctx.actor,
        trust_id=patient.trust_id,
        now=ctx.now,
        cohort=cohort,
    )
    if patient.opted_out_at is None:
        replan(ctx.session, patient, ctx.config, now=ctx.now, actor=ctx.actor, reason="re_enrolled")


def _discharge(ctx: _Event, patient: Patient | None) -> Applied:
    if patient is None:
        return Applied(NOTHING, None, "no patient enrolled with this NHS number: nothing to do")
    if patient.status == PatientStatus.DISCHARGED:
        return Applied(NOTHING, patient.id, f"patient {patient.id} is already discharged")
    if ctx.cohort() != patient.cohort:
        return Applied(
            NOTHING,
            patient.id,
            f"not discharged: this visit matches no rule for patient {patient.id}'s cohort",
        )
    patient_status.discharge(
        ctx.session, patient, now=ctx.now, actor=ctx.actor, reason="discharged by the PAS"
    )
    return Applied("discharged", patient.id, f"patient {patient.id} discharged")


def _cancel_enrolment(ctx: _Event, patient: Patient | None) -> Applied:
    if patient is None or patient.status == PatientStatus.DISCHARGED:
        return Applied(NOTHING, patient.id if patient else None, "no enrolment to cancel")
    made = integration_store.last_applied(
        ctx.session,
        trust_id=ctx.trust.id,
        patient_id=patient.id,
        source=ctx.event.source,
        sender=ctx.event.sender,
        outcomes=("enrolled", "re-enrolled"),
    )
    if made is None or made.processed_at != patient.enrolled_at:
        return Applied(
            NOTHING,
            patient.id,
            f"patient {patient.id}'s enrolment was not made by this feed: a coordinator decides",
        )
    patient_status.discharge(
        ctx.session, patient, now=ctx.now, actor=ctx.actor, reason="enrolment entered in error"
    )
    audit.record(
        ctx.session,
        "patient.enrolment_cancelled",
        "patient",
        patient.id,
        actor=ctx.actor,
        trust_id=patient.trust_id,
        now=ctx.now,
        integration_message_id=made.id,
    )
    return Applied("enrolment-cancelled", patient.id, f"patient {patient.id}'s enrolment cancelled")


def _cancel_discharge(ctx: _Event, patient: Patient | None) -> Applied:
    if (
        patient is None
        or patient.status != PatientStatus.DISCHARGED
        or patient.deceased_at is not None
        or patient.merged_into_id is not None
    ):
        return Applied(NOTHING, patient.id if patient else None, "no discharge to cancel")
    last = integration_store.last_applied(
        ctx.session,
        trust_id=ctx.trust.id,
        patient_id=patient.id,
        source=ctx.event.source,
        sender=ctx.event.sender,
    )
    if last is None or last.outcome != "discharged":
        return Applied(
            NOTHING,
            patient.id,
            f"patient {patient.id}'s discharge was not made by this feed: a coordinator decides",
        )
    patient.status = PatientStatus.ACTIVE
    patient.updated_at = ctx.now
    patient.pds_next_check_at = ctx.now
    audit.record(
        ctx.session,
        "patient.discharge_cancelled",
        "patient",
        patient.id,
        actor=ctx.actor,
        trust_id=patient.trust_id,
        now=ctx.now,
        integration_message_id=last.id,
    )
    if patient.opted_out_at is None:
        replan(
            ctx.session,
            patient,
            ctx.config,
            now=ctx.now,
            actor=ctx.actor,
            reason="discharge_cancelled",
        )
    return Applied(
        "discharge-cancelled", patient.id, f"patient {patient.id} is back in the safety net"
    )


_ACTIONS: dict[PatientAction, Callable[[_Event, Patient | None], Applied]] = {
    PatientAction.ENROL_OR_UPDATE: _enrol_or_update,
    PatientAction.UPDATE: _update_only,
    PatientAction.DISCHARGE: _discharge,
    PatientAction.CANCEL_ENROLMENT: _cancel_enrolment,
    PatientAction.CANCEL_DISCHARGE: _cancel_discharge,
}
