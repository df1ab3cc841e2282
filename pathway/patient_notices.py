"""Notices a coordinator sees on a patient's page and decides: PDS or the PAS says the patient
has died, holds another mobile or a newer NHS number, has no record under the number; the PAS
merged two records. Nothing proposed is applied until a coordinator confirms it: a different
mobile or NHS number is never put in silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pathway import audit
from pathway.errors import PatientInputError
from pathway.patient_details import update_patient
from schema.models import NoticeKind, NoticeState, Patient, PatientNotice, StaffMember
from schema.trust_config import TrustConfig

# Notices that propose a change: confirm applies it, dismiss keeps our record as it is.
PROPOSALS = frozenset({NoticeKind.MOBILE_DIFFERS, NoticeKind.NHS_NUMBER_SUPERSEDED})


def raise_notice(
    session: Session,
    patient: Patient,
    kind: NoticeKind,
    *,
    source: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    distinct: str = "",
) -> bool:
    """Put a notice on the patient's page unless the same one (kind and `distinct`, such as the
    proposed number) was raised before, decided or not: a daily check repeats nothing."""
    values = {
        "trust_id": patient.trust_id,
        "patient_id": patient.id,
        "kind": kind.value,
        "state": NoticeState.OPEN.value,
        "source": source,
        "dedupe_key": f"{patient.id}:{kind.value}:{distinct}"[:200],
        "details": details or {},
        "created_at": now,
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = session.execute(
        insert(PatientNotice)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(PatientNotice.id)
    ).scalar_one_or_none()
    if created is None:
        return False
    # The kind and where it came from, never the proposed number.
    audit.record(
        session,
        "patient.notice_raised",
        "patient",
        patient.id,
        actor=audit.SYSTEM,
        trust_id=patient.trust_id,
        now=now,
        notice_id=created,
        kind=kind.value,
        source=source,
    )
    return True


def open_notices(session: Session, trust_id: int, patient_id: int) -> list[PatientNotice]:
    return list(
        session.scalars(
            select(PatientNotice)
            .where(
                PatientNotice.trust_id == trust_id,
                PatientNotice.patient_id == patient_id,
                PatientNotice.state == NoticeState.OPEN,
            )
            .order_by(PatientNotice.id)
        )
    )


def decide(
    session: Session,
    notice: PatientNotice,
    patient: Patient,
    member: StaffMember,
    config: TrustConfig,
    *,
    confirm: bool,
    now: datetime,
) -> None:
    """Confirm (apply the change, or mark the notice seen) or dismiss (keep our record)."""
    if member.trust_id != notice.trust_id or patient.id != notice.patient_id:
        raise PermissionError("a notice of another trust or patient")
    if notice.state != NoticeState.OPEN:
        raise PatientInputError([f"notice: already {notice.state}"])
    kind = NoticeKind(notice.kind)
    if not confirm and kind not in PROPOSALS:
        raise PatientInputError(["notice: this notice can only be marked as seen"])
    actor = audit.staff_actor(member.id)
    if confirm and kind == NoticeKind.MOBILE_DIFFERS:
        update_patient(
            session, patient, config, {"phone": str(notice.details["mobile"])}, actor=actor, now=now
        )
    elif confirm and kind == NoticeKind.NHS_NUMBER_SUPERSEDED:
        _renumber(session, patient, str(notice.details["nhs_number"]), actor=actor, now=now)
    notice.state = NoticeState.CONFIRMED if confirm else NoticeState.DISMISSED
    notice.decided_at = now
    notice.decided_by_id = member.id
    audit.record(
        session,
        f"patient.notice_{notice.state}",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        notice_id=notice.id,
        kind=kind.value,
    )


def _renumber(
    session: Session, patient: Patient, nhs_number: str, *, actor: str, now: datetime
) -> None:
    """The NHS number PDS says is now in use replaces the superseded one, checked again at once."""
    holder = session.scalar(
        select(Patient.id).where(
            Patient.trust_id == patient.trust_id,
            Patient.nhs_number == nhs_number,
            Patient.id != patient.id,
        )
    )
    if holder is not None:
        raise PatientInputError(
            [f"nhs_number: another patient of this trust has the new number (patient {holder})"]
        )
    patient.nhs_number = nhs_number
    patient.nhs_number_verified_at = None
    patient.pds_next_check_at = now if patient.deceased_at is None else None
    patient.updated_at = now
    audit.record(
        session,
        "patient.renumbered",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        why="superseded",
    )
