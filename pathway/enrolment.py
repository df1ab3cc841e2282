"""Enrolling patients: a patient checked field by field, enrolled with their schedule planned, or
a CSV file of them imported all or nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.errors import PatientInputError
from pathway.planning import plan_messages
from schema import tombstones
from schema.identifiers import InvalidIdentifier, check_email, check_nhs_number, parse_mobile
from schema.models import Patient, PatientStatus, StaffMember, Trust
from schema.trust_config import TrustConfig

__all__ = ["ImportRejected", "PatientIn", "PatientInputError", "RowError", "enrol", "parse_patient"]


class PatientIn(BaseModel):
    """A patient as a coordinator, a CSV row or a hospital system gives one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nhs_number: str
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    phone: str
    email: str | None = None
    cohort: str = Field(min_length=1)
    language: str | None = None  # None: not recorded (messages/languages.py decides)

    @field_validator("given_name", "family_name", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        # A pasted name may carry a tab or a CR or LF of any kind: a name is one line.
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("nhs_number")
    @classmethod
    def _nhs(cls, value: str) -> str:
        return _checked(check_nhs_number, value)

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str, info: ValidationInfo) -> str:
        abroad = bool((info.context or {}).get("allow_international"))
        return _checked(lambda raw: parse_mobile(raw, allow_international=abroad), value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _checked(check_email, str(value))

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> str | None:
        return (str(value).strip().lower() or None) if value is not None else None


def _checked(check: Any, value: str) -> str:
    try:
        result: str = check(value)
    except InvalidIdentifier as error:
        raise ValueError(str(error)) from None
    return result


def parse_patient(raw: dict[str, Any], config: TrustConfig) -> PatientIn:
    """Validate one patient against the field rules and the trust's cohorts and languages.

    Every reason is reported at once, so a coordinator fixes a row in one go.
    """
    reasons: list[str] = []
    cohort = str(raw.get("cohort") or "").strip()
    if cohort and config.cohort(cohort) is None:
        known = ", ".join(c.key for c in config.cohorts)
        reasons.append(f"cohort: {cohort!r} is not a cohort of this trust ({known})")
    language = str(raw.get("language") or "").strip().lower()
    if language and language not in config.languages:
        reasons.append(f"language: {language!r} is not served by this trust")
    try:
        patient = PatientIn.model_validate(
            raw, context={"allow_international": config.sms.allow_international}
        )
    except ValidationError as error:
        reasons[:0] = [
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in error.errors()
        ]
    if reasons:
        raise PatientInputError(reasons)
    return patient


def enrol(
    session: Session,
    trust: Trust,
    config: TrustConfig,
    data: PatientIn,
    *,
    actor: str,
    now: datetime,
    allow_staff_number: bool = False,
) -> Patient:
    """Enrol one patient and plan their schedule. A phone that is a staff member's is refused
    unless `allow_staff_number` (a shared phone: its ACKs are staff's, the rest the patient's)."""
    existing = session.scalar(
        select(Patient.id).where(
            Patient.trust_id == trust.id, Patient.nhs_number == data.nhs_number
        )
    )
    if existing is not None:
        raise PatientInputError([f"nhs_number: already enrolled (patient {existing})"])
    if tombstones.is_erased(session, trust.id, data.nhs_number):
        raise PatientInputError([ERASED])
    shared = data.phone in staff_phones(session, trust.id)
    if shared and not allow_staff_number:
        raise PatientInputError([STAFF_NUMBER_REASON])
    patient = Patient(
        trust_id=trust.id,
        cohort=data.cohort,
        nhs_number=data.nhs_number,
        given_name=data.given_name,
        family_name=data.family_name,
        phone_e164=data.phone,
        email=data.email,
        language=data.language,
        status=PatientStatus.ACTIVE,
        enrolled_at=now,
        plan_generation=0,
        pds_next_check_at=now,  # checked in PDS at once when checks are on (pathway.pds_checks)
    )
    session.add(patient)
    session.flush()
    planned = plan_messages(session, patient, config, now=now)
    audit.record(
        session,
        "patient.enrolled",
        "patient",
        patient.id,
        actor=actor,
        trust_id=trust.id,
        now=now,
        cohort=data.cohort,
        messages_planned=planned,
        **({"shares_a_staff_number": True} if shared else {}),
    )
    return patient


STAFF_NUMBER_REASON = (
    "phone: this is a staff member's number; enrol with allow_staff_number "
    "(--allow-staff-number) if the patient really shares it"
)


def staff_phones(session: Session, trust_id: int) -> set[str]:
    """The numbers of the trust's active staff: texts from them are read as staff's."""
    return {
        phone
        for phone in session.scalars(
            select(StaffMember.phone_e164).where(
                StaffMember.trust_id == trust_id,
                StaffMember.active.is_(True),
                StaffMember.phone_e164.is_not(None),
            )
        )
        if phone
    }


@dataclass(frozen=True)
class RowError:
    line: int
    reasons: list[str]

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(self.reasons)


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


ERASED = "nhs_number: this patient's data was erased at their request; they are not enrolled"
REQUIRED_COLUMNS = ("nhs_number", "given_name", "family_name", "phone", "cohort")
OPTIONAL_COLUMNS = ("email", "language")


def read_import(
    session: Session,
    trust: Trust,
    config: TrustConfig,
    text: str,
    *,
    allow_staff_number: bool = False,
) -> list[PatientIn]:
    """Every row checked; all good, or ImportRejected listing every bad row by its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        reasons = [f"missing column {c!r}" for c in missing] + [
            f"unknown column {c!r}" for c in unknown
        ]
        raise ImportRejected([RowError(1, reasons)])
    enrolled = set(session.scalars(select(Patient.nhs_number).where(Patient.trust_id == trust.id)))
    staff = set() if allow_staff_number else staff_phones(session, trust.id)
    seen: dict[str, int] = {}
    good: list[PatientIn] = []
    errors: list[RowError] = []
    end_of_previous = reader.line_num
    for fields in reader:
        start, end_of_previous = end_of_previous + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            errors.append(RowError(start, [f"{len(fields)} fields, expected {len(header)}"]))
            continue
        try:
            patient = parse_patient(dict(zip(header, fields, strict=True)), config)
        except PatientInputError as error:
            errors.append(RowError(start, error.reasons))
            continue
        if patient.nhs_number in enrolled:
            errors.append(RowError(start, ["nhs_number: already enrolled"]))
        elif tombstones.is_erased(session, trust.id, patient.nhs_number):
            errors.append(RowError(start, [ERASED]))
        elif patient.nhs_number in seen:
            errors.append(RowError(start, [f"nhs_number: repeats line {seen[patient.nhs_number]}"]))
        elif patient.phone in staff:
            errors.append(RowError(start, [STAFF_NUMBER_REASON]))
        else:
            seen[patient.nhs_number] = start
            good.append(patient)
    if errors:
        raise ImportRejected(errors)
    if not good:
        raise ImportRejected([RowError(1, ["no patients in the file"])])
    return good
