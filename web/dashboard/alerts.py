"""The alert queue (`/`) and what a coordinator does from it: acknowledge, resolve, review."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import acknowledgement, contacts, review
from schema.db import session_scope
from schema.identifiers import InvalidIdentifier, check_nhs_number
from schema.models import Alert, AlertState, InboundMessage, Patient, StaffMember
from schema.types import utcnow
from schema.vocabulary import ContactKind, ReviewDecision
from web.auth.identity import Viewer, csrf_protected, current_staff
from web.dashboard import queries
from web.dashboard.notice_views import open_notices
from web.dashboard.notices import notice
from web.ids import RowId
from web.scoped import owned
from web.templating import render

router = APIRouter(include_in_schema=False)

DEFAULT_REFRESH_SECONDS = 30


def queue_page(
    request: Request, viewer: Viewer, *, errors: dict[int, object] | None = None, status: int = 200
) -> HTMLResponse:
    with session_scope() as session:
        context = {
            "viewer": viewer,
            "open_alerts": queries.alerts_in_state(session, viewer.trust_id, AlertState.OPEN),
            "acknowledged": queries.alerts_in_state(
                session, viewer.trust_id, AlertState.ACKNOWLEDGED
            ),
            "reviews": queries.replies_awaiting_review(session, viewer.trust_id),
            "unreachable": queries.unreachable_patients(session, viewer.trust_id),
            "rota_gaps": queries.rota_gaps(session, viewer.trust_id, utcnow()),
            "patient_notices": open_notices(session, viewer.trust_id),
        }
    refresh = getattr(request.app.state, "dashboard_refresh_seconds", DEFAULT_REFRESH_SECONDS)
    return render(
        request,
        "queue.html",
        {**context, "errors": errors or {}, "notice": notice(request), "refresh": refresh},
        status_code=status,
    )


@router.get("/", response_class=HTMLResponse)
def alert_queue(request: Request, viewer: Viewer = Depends(current_staff)) -> HTMLResponse:
    return queue_page(request, viewer)


def member_of(session: Session, viewer: Viewer) -> StaffMember:
    member = session.get(StaffMember, viewer.staff_id)
    assert member is not None  # current_staff found them a moment ago
    return member


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: RowId, viewer: Viewer = Depends(csrf_protected)) -> Response:
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, viewer.trust_id, lock=True)
        result = acknowledgement.acknowledge(
            session, alert, member_of(session, viewer), now=utcnow(), via="web"
        )
        code = alert.code
    done = "acknowledged" if result.first else "already"
    return RedirectResponse(f"/?done={done}&ref={code}#acknowledged", status_code=303)


@router.post("/replies/{inbound_id}/review")
def mark_reviewed(
    inbound_id: RowId,
    review_note: str = Form(""),
    decision: str = Form(ReviewDecision.NO_ACTION.value),
    back: str = Form(""),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    note = review_note.strip()[:4000]
    try:
        decided = ReviewDecision(decision)
    except ValueError:
        raise HTTPException(status_code=422, detail="decision: not one of the choices") from None
    with session_scope() as session:
        inbound = owned(session, InboundMessage, inbound_id, viewer.trust_id, lock=True)
        review.mark_reviewed(
            session,
            inbound,
            staff_id=viewer.staff_id,
            actor=viewer.actor,
            note=note,
            now=utcnow(),
            decision=decided,
        )
        patient_id = inbound.patient_id
    if back == "patient" and patient_id is not None:  # reviewed from the patient's page
        return RedirectResponse(f"/patients/{patient_id}?done=reviewed#timeline", status_code=303)
    return RedirectResponse("/?done=reviewed#reviews", status_code=303)


@router.post("/replies/{inbound_id}/link")
def link_number(
    inbound_id: RowId,
    nhs_number: str = Form(""),
    kind: str = Form(ContactKind.PATIENT.value),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    """Link an unknown sender's number to a patient of the trust: their new phone, or a carer's."""
    refused = RedirectResponse("/?done=link-refused#reviews", status_code=303)
    with session_scope() as session:
        inbound = owned(session, InboundMessage, inbound_id, viewer.trust_id, lock=True)
        try:
            as_kind = ContactKind(kind)
            digits = check_nhs_number(nhs_number[:20])
        except (ValueError, InvalidIdentifier):
            return refused
        patient = session.scalar(
            select(Patient).where(Patient.trust_id == viewer.trust_id, Patient.nhs_number == digits)
        )
        if patient is None:
            return refused
        try:
            contacts.link_number(
                session, inbound, patient, as_kind, actor=viewer.actor, now=utcnow()
            )
        except contacts.ContactError:
            return refused
    return RedirectResponse("/?done=linked#reviews", status_code=303)
