"""What a trust's systems tell us about a patient, whichever wire it came by (HL7v2 ADT or FHIR).

Both `messages.hl7v2` and `messages.fhir` turn their input into a `PatientEvent`: an action
(enrol or update, discharge, undo, merge), the patient's details as sent, and the markers a trust's
rules map to a cohort (a clinic, a specialty, an alert code, an episode type...). Deciding what the
event does to our records is the pathway's job, not this module's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class PatientAction(StrEnum):
    ENROL_OR_UPDATE = "enrol_or_update"  # A01, A04, A08; FHIR active EpisodeOfCare / Flag
    UPDATE = "update"  # FHIR Patient alone: details only, never enrols
    DISCHARGE = "discharge"  # A03; FHIR finished EpisodeOfCare, inactive Flag
    CANCEL_ENROLMENT = "cancel_enrolment"  # A11 (cancel admit); FHIR entered-in-error / cancelled
    CANCEL_DISCHARGE = "cancel_discharge"  # A13 (cancel discharge)
    MERGE = "merge"  # A40: `merged_nhs_number` is folded into `patient.nhs_number`


class MarkerKind(StrEnum):
    """What a trust's cohort rule can match on."""

    LOCATION = "location"  # PV1-3.1: point of care (clinic, ward)
    FACILITY = "facility"  # PV1-3.4: the site
    SPECIALTY = "specialty"  # PV1-10: hospital service (treatment function code)
    PATIENT_CLASS = "patient_class"  # PV1-2: I, O, E...
    PATIENT_TYPE = "patient_type"  # PV1-18
    ALERT = "alert"  # a trust-chosen field holding alert codes
    EPISODE_TYPE = "episode_type"  # FHIR EpisodeOfCare.type.coding
    FLAG_CODE = "flag_code"  # FHIR Flag.code.coding


@dataclass(frozen=True)
class Marker:
    kind: MarkerKind
    code: str
    system: str | None = None  # a FHIR coding's system; None for HL7v2 fields


@dataclass(frozen=True)
class PatientDetails:
    """The patient as the sender describes them. Absent fields are None, never guessed."""

    nhs_number: str
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    mobile: str | None = None  # E.164, already checked to be a mobile
    email: str | None = None  # normalised
    restricted: bool = False  # HL7 PD1-12 protection indicator, FHIR meta.security R
    deceased: bool = False  # HL7 PID-30, FHIR deceased[x]
    deceased_at: datetime | date | None = None


@dataclass(frozen=True)
class PatientEvent:
    source: str  # "hl7v2" or "fhir"
    sender: str  # HL7 MSH-4 sending facility; FHIR: the calling system's name
    message_id: str  # HL7 MSH-10, FHIR idempotency key: the unit of idempotency with `sender`
    action: PatientAction
    occurred_at: datetime | None
    patient: PatientDetails
    markers: tuple[Marker, ...] = ()
    merged_nhs_number: str | None = None  # MERGE only: the record folded into `patient`

    def marker_codes(self, kind: MarkerKind) -> tuple[str, ...]:
        return tuple(m.code for m in self.markers if m.kind == kind)


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with an input, named by its place: `PID-3`, `Patient.identifier[0].value`."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class InvalidMessage(ValueError):
    """Input that cannot be used. Its `errors` each name a field; nothing should have changed."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


def missing_for_enrolment(event: PatientEvent, locations: dict[str, str]) -> tuple[FieldError, ...]:
    """The fields an enrolment needs (names and a mobile) that this event does not carry.

    `locations` names each field in the sender's terms, e.g. {"family_name": "PID-5.1"}. Call it
    only when a rule has matched a cohort: an update to a patient we do not enrol needs none.
    """
    patient = event.patient
    errors = []
    if not patient.family_name:
        errors.append(FieldError(locations["family_name"], "no family name, needed to enrol"))
    if not patient.given_name:
        errors.append(FieldError(locations["given_name"], "no given name, needed to enrol"))
    if not patient.mobile:
        errors.append(FieldError(locations["mobile"], "no mobile number, needed to enrol"))
    return tuple(errors)
