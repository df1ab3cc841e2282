"""Patient notices as the dashboard shows them: what PDS or the trust's systems said that a
coordinator must see or decide (pathway.patient_notices), in fixed wording chosen by kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import patient_notices
from schema.identifiers import display_phone
from schema.models import NoticeKind, NoticeState, Patient, PatientNotice

# What each notice says, and what confirming it does (fixed wording, chosen by kind).
TITLES = {
    NoticeKind.DECEASED: "Recorded as deceased",
    NoticeKind.MOBILE_DIFFERS: "A different mobile number",
    NoticeKind.NHS_NUMBER_SUPERSEDED: "The NHS number was superseded",
    NoticeKind.NHS_NUMBER_UNVERIFIED: "The NHS number is not verified",
    NoticeKind.RECORDS_MERGED: "Two records were merged",
}
SOURCES = {"pds": "PDS", "hl7v2": "the PAS (HL7 ADT)", "fhir": "the trust's system (FHIR)"}


@dataclass(frozen=True)
class NoticeView:
    id: int
    patient_id: int
    patient_name: str
    kind: str
    title: str
    text: str
    source: str
    created_at: datetime
    proposal: bool  # confirm applies a change; dismiss keeps our record

    @property
    def confirm_label(self) -> str:
        if self.kind == NoticeKind.MOBILE_DIFFERS:
            return "Use the new mobile"
        if self.kind == NoticeKind.NHS_NUMBER_SUPERSEDED:
            return "Use the new NHS number"
        return "Mark as seen"


def _text(notice: PatientNotice, patient: Patient) -> str:
    details = notice.details
    kind = NoticeKind(notice.kind)
    if kind == NoticeKind.DECEASED:
        return (
            f"{SOURCES.get(notice.source, notice.source)} records this patient as deceased "
            f"({details.get('how', 'deceased')}). Every planned message was cancelled and "
            "nothing more will be sent to them."
        )
    if kind == NoticeKind.MOBILE_DIFFERS:
        mobile = str(details.get("mobile", ""))
        if patient.restricted:
            shown = "withheld: restricted record"
        else:
            shown = display_phone(mobile) if mobile else "(removed: retention or erasure)"
        return (
            f"{SOURCES.get(notice.source, notice.source)} has the mobile {shown}. Messages still "
            "go to the number enrolled until you confirm the change."
        )
    if kind == NoticeKind.NHS_NUMBER_SUPERSEDED:
        number = str(details.get("nhs_number", ""))
        return (
            f"PDS says this NHS number was replaced by {number[:3]} {number[3:6]} {number[6:]}. "
            "Check it is the same person before using the new number."
        )
    if kind == NoticeKind.NHS_NUMBER_UNVERIFIED:
        return (
            "PDS has no record under this NHS number, so it cannot be checked for a death. "
            "Planned messages are held until it is corrected: check the number."
        )
    return (
        "The PAS merged two records of this patient into this one: their messages, replies "
        "and alerts are now on this timeline. Check the details."
    )


def _view(notice: PatientNotice, patient: Patient) -> NoticeView:
    kind = NoticeKind(notice.kind)
    return NoticeView(
        id=notice.id,
        patient_id=patient.id,
        patient_name=f"{patient.given_name} {patient.family_name}",
        kind=kind.value,
        title=TITLES[kind],
        text=_text(notice, patient),
        source=SOURCES.get(notice.source, notice.source),
        created_at=notice.created_at,
        proposal=kind in patient_notices.PROPOSALS,
    )


def notices_of(session: Session, trust_id: int, patient: Patient) -> list[NoticeView]:
    return [_view(n, patient) for n in patient_notices.open_notices(session, trust_id, patient.id)]


def open_notices(session: Session, trust_id: int, *, limit: int = 100) -> list[NoticeView]:
    """The trust's notices awaiting a coordinator, oldest first, for the queue."""
    rows = session.execute(
        select(PatientNotice, Patient)
        .join(Patient, Patient.id == PatientNotice.patient_id)
        .where(
            PatientNotice.trust_id == trust_id,
            Patient.trust_id == trust_id,
            PatientNotice.state == NoticeState.OPEN,
        )
        .order_by(PatientNotice.created_at, PatientNotice.id)
        .limit(limit)
    ).all()
    return [_view(notice, patient) for notice, patient in rows]
