"""Merging two records of one person (HL7v2 A40: MRG-1's record is folded into PID-3's).

Afterwards there is one timeline: every message, reply, alert, notice and write-back of the
record merged away belongs to the survivor, and the merged record is closed, pointing at it. The
person is treated by the stricter of the two records: a death, an opt-out or a restriction on
either holds for the survivor. If only the merged record was in the safety net, the survivor
takes its place there, so nobody falls out of it by a merge. A coordinator is told either way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pathway import audit
from pathway.alerts import open_alert_for
from pathway.patient_notices import raise_notice
from pathway.patient_status import opt_out
from pathway.pds_checks import died, mark_restricted
from pathway.planning import cancel_planned, replan
from schema.models import (
    Alert,
    Callback,
    InboundMessage,
    IntegrationMessage,
    NoticeKind,
    OutboundMessage,
    Patient,
    PatientContact,
    PatientNotice,
    PatientStatus,
    Trust,
)
from schema.trust_config import TrustConfig

NOTHING = "nothing"
_MOVED = (
    OutboundMessage,
    InboundMessage,
    Alert,
    PatientNotice,
    PatientContact,
    Callback,
    IntegrationMessage,
)


def _locked(session: Session, trust_id: int, nhs_number: str) -> Patient | None:
    return session.scalar(
        select(Patient)
        .where(Patient.trust_id == trust_id, Patient.nhs_number == nhs_number)
        .with_for_update()
    )


def merge_patients(
    session: Session,
    trust: Trust,
    config: TrustConfig,
    *,
    survivor_nhs: str,
    merged_nhs: str,
    source: str,
    now: datetime,
) -> tuple[str, int | None, str]:
    """(outcome, the survivor's id, a note without identifiers)."""
    actor = f"{source}:merge"
    merged = _locked(session, trust.id, merged_nhs)
    survivor = _locked(session, trust.id, survivor_nhs)
    if merged is None:
        return NOTHING, survivor.id if survivor else None, "no record under the merged number"
    if merged.merged_into_id is not None:
        return NOTHING, merged.merged_into_id, f"already merged into {merged.merged_into_id}"
    if survivor is None:
        _renumber(session, merged, survivor_nhs, actor=actor, now=now)
        raise_notice(
            session,
            merged,
            NoticeKind.RECORDS_MERGED,
            source=source,
            now=now,
            distinct="renumbered",
        )
        return "renumbered", merged.id, f"patient {merged.id} now has the surviving NHS number"
    _fold(session, merged, survivor, config, actor=actor, source=source, now=now)
    raise_notice(
        session,
        survivor,
        NoticeKind.RECORDS_MERGED,
        source=source,
        now=now,
        details={"merged_patient_id": merged.id},
        distinct=str(merged.id),
    )
    return "merged", survivor.id, f"patient {merged.id} merged into patient {survivor.id}"


def _renumber(
    session: Session, patient: Patient, nhs_number: str, *, actor: str, now: datetime
) -> None:
    """The only record is the one merged away: it simply takes the surviving number."""
    patient.nhs_number = nhs_number
    patient.nhs_number_verified_at = None
    if patient.deceased_at is None and patient.status != PatientStatus.DISCHARGED:
        patient.pds_next_check_at = now
    patient.updated_at = now
    audit.record(
        session,
        "patient.renumbered",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        now=now,
        why="merged",
    )


def _fold(
    session: Session,
    merged: Patient,
    survivor: Patient,
    config: TrustConfig,
    *,
    actor: str,
    source: str,
    now: datetime,
) -> None:
    was_in_the_net = merged.receives_messages and survivor.status == PatientStatus.DISCHARGED
    cancelled = cancel_planned(session, merged, now, reason="merged")
    session.flush()
    kept_open = _open_alert_left_behind(session, merged, survivor, now)
    for model in _MOVED:
        moved = update(model).where(model.patient_id == merged.id)
        if model is Alert and kept_open is not None:
            moved = moved.where(Alert.id != kept_open)
        session.execute(
            moved.values(patient_id=survivor.id).execution_options(synchronize_session=False)
        )
    merged.status = PatientStatus.DISCHARGED
    merged.merged_into_id = survivor.id
    merged.pds_next_check_at = None
    merged.updated_at = now
    audit.record(
        session,
        "patient.merged_away",
        "patient",
        merged.id,
        actor=actor,
        trust_id=merged.trust_id,
        now=now,
        into=survivor.id,
        cancelled=cancelled,
    )
    audit.record(
        session,
        "patient.merged",
        "patient",
        survivor.id,
        actor=actor,
        trust_id=survivor.trust_id,
        now=now,
        merged_patient_id=merged.id,
    )
    _stricter(session, merged, survivor, source=source, actor=actor, now=now)
    if was_in_the_net and survivor.deceased_at is None and survivor.opted_out_at is None:
        _take_its_place(session, merged, survivor, config, actor=actor, now=now)


def _open_alert_left_behind(
    session: Session, merged: Patient, survivor: Patient, now: datetime
) -> int | None:
    """Both records have an open alert: one patient may have only one (the database says so),
    so the merged record's stays where it is, still escalating until someone acknowledges it."""
    merged_open = open_alert_for(session, merged.id)
    if merged_open is None or open_alert_for(session, survivor.id) is None:
        return None
    audit.record(
        session,
        "alert.left_on_merged_record",
        "alert",
        merged_open.id,
        actor=audit.SYSTEM,
        trust_id=merged.trust_id,
        now=now,
        survivor_id=survivor.id,
    )
    return merged_open.id


def _stricter(
    session: Session, merged: Patient, survivor: Patient, *, source: str, actor: str, now: datetime
) -> None:
    if merged.restricted:
        mark_restricted(session, survivor, source=source, now=now)
    if merged.opted_out_at is not None:
        opt_out(session, survivor, now=now, actor=actor, via="merge")
    if merged.deceased_at is not None:
        died(session, survivor, source=source, detail="the merged record was deceased", now=now)


def _take_its_place(
    session: Session,
    merged: Patient,
    survivor: Patient,
    config: TrustConfig,
    *,
    actor: str,
    now: datetime,
) -> None:
    """The survivor was out of the safety net and the merged record in it: the survivor carries
    on the merged record's schedule from now."""
    survivor.status = PatientStatus.ACTIVE
    survivor.cohort = merged.cohort
    survivor.enrolled_at = merged.enrolled_at
    survivor.pds_next_check_at = now
    survivor.updated_at = now
    replan(session, survivor, config, now=now, actor=actor, reason="merged")
