"""`/patient-phone` (admins, embedded defaults only): text as any enrolled patient and read what
the service texted back, so a newcomer can try the story the README tells.

A text sent here goes through the webhook's store-first path (web/simulated_replies.py); the
answers are read from the SMS outbox (worker/providers/outbox.py), the only place they go when
no Twilio account is configured. With Twilio configured the page does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from schema.db import session_scope
from schema.encryption import lookup_hmac
from schema.models import InboundMessage, Patient, Trust
from schema.settings import get_settings
from schema.trusts import trust_config
from schema.types import utcnow
from web.auth.identity import Viewer, admin_form, admin_only
from web.ids import RowId
from web.intake import intake_of
from web.scoped import NotFound, owned
from web.simulated_replies import (
    SimulationRefused,
    audit_simulation,
    simulated_fields,
    simulation_allowed,
    trust_number,
)
from web.stored_requests import REPLY
from web.templating import render
from worker.providers.outbox import outbox_directory, read_outbox

router = APIRouter(include_in_schema=False)

PATIENT_LIMIT = 200
CONVERSATION_LIMIT = 40
REFRESH_SECONDS = 3  # the answer is usually there within a second or two


@dataclass(frozen=True)
class Line:
    """One text in the conversation: from the patient, or from the service."""

    at: datetime
    from_patient: bool
    body: str
    label: str | None = None


def _allowed() -> None:
    if not simulation_allowed(get_settings()):
        raise NotFound("the patient phone works only when no Twilio account is configured")


def _patients(viewer: Viewer) -> list[tuple[int, str]]:
    with session_scope() as session:
        rows = list(
            session.execute(
                select(Patient.id, Patient.given_name, Patient.family_name).where(
                    Patient.trust_id == viewer.trust_id, Patient.merged_into_id.is_(None)
                )
            ).all()
        )
    # Names are encrypted, so sorted here rather than by the database.
    rows.sort(key=lambda row: (row.family_name, row.given_name, row.id))
    return [(row.id, f"{row.given_name} {row.family_name}") for row in rows[:PATIENT_LIMIT]]


def conversation(
    session: Session, phone: str, trust: Trust, texts_back: list[dict[str, object]]
) -> list[Line]:
    """The patient's texts and the service's answers to that number, oldest first."""
    replies = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.from_hmac == lookup_hmac(phone), InboundMessage.trust_id == trust.id)
        .order_by(InboundMessage.received_at.desc())
        .limit(CONVERSATION_LIMIT)
    ).all()
    lines = [Line(r.received_at, True, r.body, r.label) for r in replies]
    # Stored but not yet triaged: no trust on the row yet, so found by the numbers.
    waiting = session.scalars(
        select(InboundMessage).where(
            InboundMessage.from_hmac == lookup_hmac(phone),
            InboundMessage.to_address.in_(trust_config(trust).sms.inbound_numbers),
            InboundMessage.trust_id.is_(None),
            InboundMessage.handled_at.is_(None),
        )
    ).all()
    lines += [Line(r.received_at, True, r.body, None) for r in waiting]
    for record in texts_back:
        if record.get("to") == phone:
            at = datetime.fromisoformat(str(record["sent_at"]))
            lines.append(Line(at, False, str(record.get("body") or "")))
    lines.sort(key=lambda line: line.at)
    return lines[-CONVERSATION_LIMIT:]


def _page(
    request: Request,
    viewer: Viewer,
    patient_id: int | None,
    *,
    error: str = "",
    text: str = "",
    status: int = 200,
) -> HTMLResponse:
    chosen: tuple[int, str] | None = None
    lines: list[Line] = []
    if patient_id is not None:
        with session_scope() as session:
            patient = owned(session, Patient, patient_id, viewer.trust_id)
            chosen = (patient.id, f"{patient.given_name} {patient.family_name}")
            trust = patient.trust
            outbox = outbox_directory(get_settings().data_dir.resolve())
            texts_back = read_outbox(outbox, "sms")
            lines = conversation(session, patient.phone_e164, trust, texts_back)
    return render(
        request,
        "patient_phone.html",
        {
            "viewer": viewer,
            "active": "patient-phone",
            "patients": _patients(viewer),
            "chosen": chosen,
            "lines": lines,
            "error": error,
            "text": text,
            "refresh_seconds": REFRESH_SECONDS,
        },
        status_code=status,
    )


@router.get("/patient-phone", response_class=HTMLResponse)
def phone_page(request: Request, viewer: Viewer = Depends(admin_only)) -> Response:
    _allowed()
    chosen = request.query_params.get("patient", "")
    if chosen.isdigit():  # the picker's GET form: one address per patient, for the refresh
        return RedirectResponse(f"/patient-phone/{int(chosen)}", status_code=303)
    return _page(request, viewer, None)


@router.get("/patient-phone/{patient_id}", response_class=HTMLResponse)
def patient_phone_page(
    patient_id: RowId, request: Request, viewer: Viewer = Depends(admin_only)
) -> HTMLResponse:
    _allowed()
    return _page(request, viewer, patient_id)


@router.post("/patient-phone/{patient_id}")
async def text_as_patient(
    patient_id: RowId,
    request: Request,
    text: str = Form(""),
    viewer: Viewer = Depends(admin_form),
) -> Response:
    _allowed()
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id)
        trust = session.get(Trust, viewer.trust_id)
        assert trust is not None
        try:
            fields = simulated_fields(patient.phone_e164, trust_number(trust), text)
        except SimulationRefused as error:
            refused = str(error)
        else:
            refused = ""
    if refused:
        return _page(request, viewer, patient_id, error=refused, text=text[:2000], status=422)
    accepted = await intake_of(request.app).accept(REPLY, fields)
    with session_scope() as session:
        trust = session.get(Trust, viewer.trust_id)
        assert trust is not None
        inbound_id = int(accepted.result) if accepted.result is not None else None
        audit_simulation(
            session, trust, inbound_id, actor=viewer.actor, patient_id=patient_id, now=utcnow()
        )
    return RedirectResponse(f"/patient-phone/{patient_id}", status_code=303)
