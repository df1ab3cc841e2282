"""Deciding a patient notice from the patient's page: confirm (apply the proposed change, or
mark the notice seen) or dismiss (keep our record). Refused decisions change nothing and say why."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from pathway import patient_notices
from pathway.errors import PatientInputError
from schema.db import session_scope
from schema.models import Patient, PatientNotice, StaffMember, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from web.auth.identity import Viewer, csrf_protected
from web.dashboard.patients import patient_page_response
from web.ids import RowId
from web.scoped import NotFound, owned

router = APIRouter(include_in_schema=False)


def _decide(viewer: Viewer, patient_id: int, notice_id: int, *, confirm: bool) -> None:
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id, lock=True)
        notice = session.get(PatientNotice, notice_id, with_for_update=True)
        if notice is None or notice.trust_id != viewer.trust_id or notice.patient_id != patient.id:
            raise NotFound("no such notice")
        member = session.get(StaffMember, viewer.staff_id)
        trust = session.get(Trust, viewer.trust_id)
        assert member is not None and trust is not None
        patient_notices.decide(
            session, notice, patient, member, trust_config(trust), confirm=confirm, now=utcnow()
        )


def _decision(
    request: Request, viewer: Viewer, patient_id: int, notice_id: int, *, confirm: bool
) -> Response:
    try:
        _decide(viewer, patient_id, notice_id, confirm=confirm)
    except PatientInputError as error:
        reasons = "; ".join(error.reasons)
        return patient_page_response(request, viewer, patient_id, error=reasons, status=409)
    done = "notice-confirmed" if confirm else "notice-dismissed"
    return RedirectResponse(f"/patients/{patient_id}?done={done}", status_code=303)


@router.post("/patients/{patient_id}/notices/{notice_id}/confirm")
def confirm(
    patient_id: RowId,
    notice_id: RowId,
    request: Request,
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    return _decision(request, viewer, patient_id, notice_id, confirm=True)


@router.post("/patients/{patient_id}/notices/{notice_id}/dismiss")
def dismiss(
    patient_id: RowId,
    notice_id: RowId,
    request: Request,
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    return _decision(request, viewer, patient_id, notice_id, confirm=False)
