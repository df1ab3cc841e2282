"""Patients: the list with search and the enrol form, one patient's page, and status changes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from messages import subject_access as export_document
from pathway import erasure, subject_access
from pathway import patient_status as patient_ops
from pathway.enrolment import PatientInputError, enrol, parse_patient
from pathway.patient_details import update_patient
from schema.db import session_scope
from schema.models import Patient, Trust
from schema.trust_config import TrustConfig
from schema.trusts import trust_config
from schema.types import utcnow
from web.auth.identity import Viewer, admin_form, admin_only, csrf_protected, current_staff
from web.dashboard import queries
from web.dashboard.notice_views import notices_of
from web.dashboard.notices import notice
from web.dashboard.timeline import patient_timeline
from web.dashboard.views import LANGUAGE_NAMES, patient_view
from web.ids import RowId
from web.scoped import owned
from web.templating import render

router = APIRouter(include_in_schema=False)


def _trust(session: Session, viewer: Viewer) -> Trust:
    trust = session.get(Trust, viewer.trust_id)
    assert trust is not None
    return trust


def _config(viewer: Viewer) -> TrustConfig:
    with session_scope() as session:
        return trust_config(_trust(session, viewer))


def _list_page(
    request: Request,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    text = request.query_params.get("q", "")[:100]
    with session_scope() as session:
        found = queries.search_patients(session, viewer.trust_id, text, limit=queries.SEARCH_LIMIT)
        flagged = queries.open_alert_patients(session, viewer.trust_id)
    config = _config(viewer)
    return render(
        request,
        "patients.html",
        {
            "viewer": viewer,
            "q": text,
            "patients": found,
            "limit": queries.SEARCH_LIMIT,
            "flagged": flagged,
            "cohorts": {c.key: c.name for c in config.cohorts},
            "languages": config.languages,
            "form": form or {},
            "errors": errors or [],
            "notice": notice(request),
        },
        status_code=status,
    )


@router.get("/patients", response_class=HTMLResponse)
def patients_list(request: Request, viewer: Viewer = Depends(current_staff)) -> HTMLResponse:
    return _list_page(request, viewer)


@router.post("/patients")
def enrol_patient(
    request: Request,
    nhs_number: str = Form(""),
    given_name: str = Form(""),
    family_name: str = Form(""),
    phone: str = Form(""),
    email: str = Form(""),
    cohort: str = Form(""),
    language: str = Form(""),
    allow_staff_number: str = Form(""),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    raw = {
        "nhs_number": nhs_number,
        "given_name": given_name,
        "family_name": family_name,
        "phone": phone,
        "email": email,
        "cohort": cohort,
        "language": language,
    }
    raw = {name: value[:300] for name, value in raw.items()}
    shared = allow_staff_number == "yes"
    try:
        patient_id = _enrol(viewer, raw, allow_staff_number=shared)
    except PatientInputError as error:
        form = {**raw, "allow_staff_number": "yes" if shared else ""}
        return _list_page(request, viewer, form=form, errors=error.reasons, status=422)
    return RedirectResponse(f"/patients/{patient_id}?done=enrolled", status_code=303)


def _enrol(viewer: Viewer, raw: dict[str, Any], *, allow_staff_number: bool) -> int:
    with session_scope() as session:
        trust = _trust(session, viewer)
        config = trust_config(trust)
        patient = enrol(
            session,
            trust,
            config,
            parse_patient(raw, config),
            actor=viewer.actor,
            now=utcnow(),
            allow_staff_number=allow_staff_number,
        )
        return patient.id


def _patient_page(
    request: Request,
    viewer: Viewer,
    patient_id: int,
    *,
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
    form_errors: list[str] | None = None,
) -> HTMLResponse:
    now = utcnow()
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id)
        timeline = patient_timeline(session, patient, now=now)
        alerts = queries.unresolved_alerts_of(session, viewer.trust_id, patient.id)
        view = patient_view(patient)
        patient_notices = notices_of(session, viewer.trust_id, patient)
    config = _config(viewer)
    cohort = config.cohort(view.cohort)
    return render(
        request,
        "patient.html",
        {
            "viewer": viewer,
            "patient": view,
            "cohort_name": cohort.name if cohort else view.cohort,
            "timeline": timeline,
            "alerts": alerts,
            "patient_notices": patient_notices,
            "errors": {},
            "error": error,
            "notice": notice(request),
            "cohorts": {c.key: c.name for c in config.cohorts},
            "languages": {code: LANGUAGE_NAMES.get(code, code) for code in config.languages},
            "form": form or {},
            "form_errors": form_errors or [],
        },
        status_code=status,
    )


patient_page_response = _patient_page  # for the notice decisions (web.dashboard.patient_notices)


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    patient_id: RowId, request: Request, viewer: Viewer = Depends(current_staff)
) -> HTMLResponse:
    return _patient_page(request, viewer, patient_id)


def _change(viewer: Viewer, patient_id: int, action: str) -> None:
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id, lock=True)
        now = utcnow()
        if action == "pause":
            patient_ops.pause(session, patient, now=now, actor=viewer.actor)
        elif action == "resume":
            config = trust_config(_trust(session, viewer))
            patient_ops.resume(session, patient, config, now=now, actor=viewer.actor)
        elif action == "opt-out":
            patient_ops.opt_out(session, patient, now=now, actor=viewer.actor, via="web")
        elif action == "opt-in":
            if patient.deceased_at is not None:
                raise PatientInputError(["the patient has died: nothing is sent to them"])
            config = trust_config(_trust(session, viewer))
            patient_ops.opt_in(session, patient, config, now=now, actor=viewer.actor, via="web")
        else:
            patient_ops.discharge(session, patient, now=now, actor=viewer.actor)


def _status_change(
    request: Request, viewer: Viewer, patient_id: int, action: str, confirm: str = ""
) -> Response:
    if action in UNCONFIRMED and confirm != "yes":
        return _patient_page(request, viewer, patient_id, error=UNCONFIRMED[action], status=422)
    try:
        _change(viewer, patient_id, action)
    except PatientInputError as error:
        reasons = "; ".join(error.reasons)
        return _patient_page(request, viewer, patient_id, error=reasons, status=409)
    return RedirectResponse(f"/patients/{patient_id}?done={DONE[action]}", status_code=303)


DONE = {
    "pause": "paused",
    "resume": "resumed",
    "discharge": "discharged",
    "opt-out": "opted_out",
    "opt-in": "opted_in",
}

# The changes that cancel every planned message want their box ticked first.
UNCONFIRMED = {
    "discharge": "Tick the box to confirm the discharge: it cancels every planned message.",
    "opt-out": (
        "Tick the box to confirm the patient asked to opt out: it cancels every planned "
        "message, and only alerts to staff about them still go."
    ),
}


@router.post("/patients/{patient_id}/pause")
def pause(
    patient_id: RowId, request: Request, viewer: Viewer = Depends(csrf_protected)
) -> Response:
    return _status_change(request, viewer, patient_id, "pause")


@router.post("/patients/{patient_id}/resume")
def resume(
    patient_id: RowId, request: Request, viewer: Viewer = Depends(csrf_protected)
) -> Response:
    return _status_change(request, viewer, patient_id, "resume")


@router.post("/patients/{patient_id}/discharge")
def discharge(
    patient_id: RowId,
    request: Request,
    confirm: str = Form(""),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    return _status_change(request, viewer, patient_id, "discharge", confirm)


@router.post("/patients/{patient_id}/erase")
def erase(
    patient_id: RowId,
    request: Request,
    confirm: str = Form(""),
    reason: str = Form(""),
    viewer: Viewer = Depends(admin_form),
) -> Response:
    """Erasure on request (admins): refused while an alert is not resolved; cannot be undone."""
    reason = reason.strip()[:200]
    problem = ""
    if confirm != "yes":
        problem = "Tick the box to confirm the erasure: it cannot be undone."
    elif not reason:
        problem = "Say why: the patient's request and the lawful basis for erasing."
    if not problem:
        with session_scope() as session:
            patient = owned(session, Patient, patient_id, viewer.trust_id, lock=True)
            try:
                erasure.erase(session, patient, actor=viewer.actor, reason=reason, now=utcnow())
            except PatientInputError as error:
                session.rollback()
                problem = "; ".join(error.reasons)
    if problem:
        return _patient_page(request, viewer, patient_id, error=problem, status=422)
    return RedirectResponse(f"/patients/{patient_id}?done=erased", status_code=303)


def _export(viewer: Viewer, patient_id: int) -> dict[str, Any]:
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id)
        return subject_access.export(session, patient, actor=viewer.actor, now=utcnow())


@router.get("/patients/{patient_id}/export.json")
def patient_export_json(patient_id: RowId, viewer: Viewer = Depends(admin_only)) -> Response:
    """A subject-access export (admins): everything held about the patient, audited."""
    document = _export(viewer, patient_id)
    return Response(
        export_document.to_json(document),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient_id}-export.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/patients/{patient_id}/export.html", response_class=HTMLResponse)
def patient_export_html(patient_id: RowId, viewer: Viewer = Depends(admin_only)) -> HTMLResponse:
    """The same export, readable in the browser (admins; audited)."""
    document = _export(viewer, patient_id)
    return HTMLResponse(export_document.to_html(document), headers={"Cache-Control": "no-store"})


@router.post("/patients/{patient_id}/opt-out")
def opt_out(
    patient_id: RowId,
    request: Request,
    confirm: str = Form(""),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    return _status_change(request, viewer, patient_id, "opt-out", confirm)


@router.post("/patients/{patient_id}/opt-in")
def opt_in(
    patient_id: RowId, request: Request, viewer: Viewer = Depends(csrf_protected)
) -> Response:
    return _status_change(request, viewer, patient_id, "opt-in")


@router.post("/patients/{patient_id}/details")
def edit_details(
    patient_id: RowId,
    request: Request,
    phone: str = Form(""),
    email: str = Form(""),
    cohort: str = Form(""),
    language: str = Form(""),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    raw = {
        "phone": phone[:40],
        "email": email[:300],
        "cohort": cohort[:64],
        "language": language[:8],
    }
    try:
        changed = _edit(viewer, patient_id, raw)
    except PatientInputError as error:
        return _patient_page(
            request, viewer, patient_id, form=raw, form_errors=error.reasons, status=422
        )
    done = "details_changed" if changed else "details_unchanged"
    return RedirectResponse(f"/patients/{patient_id}?done={done}", status_code=303)


def _edit(viewer: Viewer, patient_id: int, raw: dict[str, str]) -> list[str]:
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id, lock=True)
        config = trust_config(_trust(session, viewer))
        changes: dict[str, str | None] = {"cohort": raw["cohort"], "language": raw["language"]}
        if not patient.restricted:  # a restricted record's contacts are never shown or edited
            changes |= {"phone": raw["phone"], "email": raw["email"].strip() or None}
        return update_patient(session, patient, config, changes, actor=viewer.actor, now=utcnow())
