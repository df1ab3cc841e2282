"""PDS checks, driven by the database: who is due a check, what an answer does to the record, when
a failed check is tried again, and the rule that holds a planned message while the last answer
is too old.

Every patient in the safety net owes a check at enrolment and then every day
(`pds_next_check_at`). A beat task claims due checks in batches (a lease keeps two ticks from
asking twice; a worker that dies leaves the check due again when the lease ends), asks PDS
outside any transaction, and hands the answer here. A 429, a 5xx or a time-out only moves the
check later: it is never lost. What PDS says:

- deceased (a date of death, or a formal or informal notice): the death is recorded, everything
  planned is cancelled with that reason, the coordinators see a notice; nothing reaches the number;
- restricted: the record is marked restricted (no contact details shown anywhere) and PDS's
  numbers are never used: messages go to the number the trust entered;
- another mobile: a coordinator is asked to confirm it (a notice); it is never put in silently;
- a superseded number: the coordinators are asked to confirm the number now in use;
- no record under the number: the number is not verified; a notice asks a coordinator to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.patient_notices import raise_notice
from pathway.patient_status import record_death
from schema.models import NoticeKind, OutboundMessage, Patient, PatientStatus
from schema.vocabulary import MessageKind

CHECK_LEASE = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
AFTER_THE_CHECK = timedelta(minutes=2)  # a held message goes this long after its next check


class PdsOutcome(StrEnum):
    FOUND = "found"
    SUPERSEDED = "superseded"  # the number asked is no longer in use; `nhs_number` replaced it
    NOT_FOUND = "not_found"  # no record, or an invalidated one
    INVALID = "invalid"  # not an NHS number, as far as PDS is concerned


@dataclass(frozen=True)
class PdsAnswer:
    """What PDS said, in the pathway's words (the worker translates its client's results)."""

    outcome: PdsOutcome
    nhs_number: str | None = None  # the number of the record PDS returned
    deceased: bool = False
    death: str = ""  # how it is known: "date of death", "formal notice", "informal notice"
    restricted: bool = False
    mobiles: tuple[str, ...] = ()  # current mobiles, E.164; PDS sends none when restricted
    version: str = ""  # meta.versionId, for the audit: what was seen


def claim_due(session: Session, *, now: datetime, limit: int) -> list[tuple[int, str]]:
    """Up to `limit` (patient id, NHS number) whose check is due, leased for CHECK_LEASE."""
    patients = session.scalars(
        select(Patient)
        .where(
            Patient.pds_next_check_at <= now,
            Patient.status != PatientStatus.DISCHARGED,
            Patient.deceased_at.is_(None),
        )
        .order_by(Patient.pds_next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for patient in patients:
        patient.pds_next_check_at = now + CHECK_LEASE
    return [(patient.id, patient.nhs_number) for patient in patients]


def apply_answer(
    session: Session, patient_id: int, answer: PdsAnswer, *, now: datetime, every: timedelta
) -> None:
    """Act on one answer and plan the next check."""
    patient = session.get(Patient, patient_id, with_for_update=True)
    if patient is None or patient.deceased_at is not None:
        return
    patient.pds_failures = 0
    patient.pds_next_check_at = now + every
    known = answer.outcome in (PdsOutcome.FOUND, PdsOutcome.SUPERSEDED)
    audit.record(
        session,
        "patient.pds_checked",
        "patient",
        patient.id,
        actor=audit.SYSTEM,
        trust_id=patient.trust_id,
        now=now,
        outcome=answer.outcome.value,
        version=answer.version,
        deceased=answer.deceased,
        restricted=answer.restricted,
    )
    if not known:
        _unverified(session, patient, answer, now=now)
        return
    patient.pds_checked_at = now
    if answer.outcome == PdsOutcome.FOUND:
        patient.nhs_number_verified_at = now
    else:
        patient.nhs_number_verified_at = None
        raise_notice(
            session,
            patient,
            NoticeKind.NHS_NUMBER_SUPERSEDED,
            source="pds",
            now=now,
            details={"nhs_number": answer.nhs_number},
            distinct=answer.nhs_number or "",
        )
    if answer.deceased:
        died(session, patient, source="pds", detail=answer.death or "deceased", now=now)
        return
    if answer.restricted:
        mark_restricted(session, patient, source="pds", now=now)
    elif answer.mobiles and patient.phone_e164 not in answer.mobiles:
        mobile_differs(session, patient, answer.mobiles[0], source="pds", now=now)


def _unverified(session: Session, patient: Patient, answer: PdsAnswer, *, now: datetime) -> None:
    patient.nhs_number_verified_at = None
    raise_notice(
        session,
        patient,
        NoticeKind.NHS_NUMBER_UNVERIFIED,
        source="pds",
        now=now,
        details={"outcome": answer.outcome.value},
    )


def died(session: Session, patient: Patient, *, source: str, detail: str, now: datetime) -> None:
    """Record a death from any source and show the coordinators."""
    if record_death(session, patient, now=now, actor=audit.SYSTEM, source=source, detail=detail):
        raise_notice(
            session,
            patient,
            NoticeKind.DECEASED,
            source=source,
            now=now,
            details={"how": detail},
        )


def mark_restricted(session: Session, patient: Patient, *, source: str, now: datetime) -> None:
    """From now on no contact details of the patient are shown anywhere. It is not lifted here:
    a restriction is kept even if a later answer omits it (the safe side)."""
    if patient.restricted:
        return
    patient.restricted = True
    patient.updated_at = now
    audit.record(
        session,
        "patient.restricted",
        "patient",
        patient.id,
        actor=audit.SYSTEM,
        trust_id=patient.trust_id,
        now=now,
        source=source,
    )


def mobile_differs(
    session: Session, patient: Patient, mobile: str, *, source: str, now: datetime
) -> None:
    """A coordinator is asked to confirm the other mobile; until then ours stays."""
    raise_notice(
        session,
        patient,
        NoticeKind.MOBILE_DIFFERS,
        source=source,
        now=now,
        details={"mobile": mobile},
        distinct=mobile,
    )


def record_failure(
    session: Session,
    patient_id: int,
    *,
    now: datetime,
    retry_after: float | None = None,
) -> datetime | None:
    """No answer: the check stays owed, tried again after a backoff (or PDS's Retry-After, up
    to an hour). Returns when."""
    patient = session.get(Patient, patient_id, with_for_update=True)
    if patient is None or patient.deceased_at is not None:
        return None
    patient.pds_failures += 1
    wait = min(FIRST_RETRY * 2 ** (patient.pds_failures - 1), LONGEST_RETRY)
    if retry_after is not None:
        wait = max(wait, min(timedelta(seconds=retry_after), LONGEST_RETRY))
    patient.pds_next_check_at = now + wait
    return patient.pds_next_check_at


def hold_until(
    patient: Patient, message: OutboundMessage, *, now: datetime, max_age: timedelta
) -> datetime | None:
    """When a planned message may go, if not now: while PDS has not answered about the patient
    within `max_age` (or ever), planned messages wait for the next check rather than risk
    texting someone who has died. They are held, never dropped. Replies (the advice owed to
    someone who has just written to us) and messages to staff never wait."""
    if message.staff_member_id is not None or message.kind != MessageKind.PLANNED:
        return None
    if patient.pds_checked_at is not None and now - patient.pds_checked_at <= max_age:
        return None
    next_check = patient.pds_next_check_at or now
    return max(next_check, now) + AFTER_THE_CHECK


def owe_check(patient: Patient, now: datetime) -> None:
    """A patient held for a check must have one coming (an enrolment made before checks began)."""
    if patient.pds_next_check_at is None and patient.deceased_at is None:
        patient.pds_next_check_at = now


def postpone(session: Session, patient_ids: list[int], until: datetime) -> None:
    """Checks claimed but not asked because PDS just failed: due again when it is retried."""
    for patient_id in patient_ids:
        patient = session.get(Patient, patient_id, with_for_update=True)
        if patient is not None and patient.deceased_at is None:
            patient.pds_next_check_at = until
