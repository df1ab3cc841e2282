"""Audit-trail views per alert (`/alerts/{id}/audit`) and per patient (`/patients/{id}/audit`):
the append-only audit events, read as who did what, when, in words.

Only what the viewer may see is shown: events of their own trust about this alert or patient,
people by name from their own trust, and a few known details put into words. Raw details are
never printed, so no phone number, NHS number or message text reaches the page from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from messages.symptoms import describe_symptoms
from schema.db import session_scope
from schema.models import (
    Alert,
    AlertNotification,
    AuditEvent,
    InboundMessage,
    OutboundMessage,
    Patient,
    StaffMember,
)
from web.auth.identity import Viewer, current_staff
from web.dashboard.views import patient_view
from web.ids import RowId
from web.scoped import owned
from web.templating import render

router = APIRouter(include_in_schema=False)

LIMIT = 1000
VIA = {"sms": "by SMS", "web": "on the dashboard", "api": "through a hospital system"}
VIA["resolve"] = "on resolving it"


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    who: str
    what: str
    action: str  # the event's code, for those who look it up


@dataclass(frozen=True)
class Known:
    """Names the viewer may read: their trust's staff, and the messages in this trail."""

    staff: Mapping[int, str]
    messages: Mapping[int, OutboundMessage]
    alert_codes: Mapping[int, str]


def who(actor: str, known: Known) -> str:
    kind, _, rest = actor.partition(":")
    if kind == "staff" and rest.isdigit():
        return known.staff.get(int(rest), "a staff member of another trust")
    if kind == "patient":
        return "The patient"
    if kind == "api":
        name = rest.partition(":")[2]
        return f"Hospital system ({name})" if name else "A hospital system"
    return {"system": "The safety net", "cli": "An administrator (command line)"}.get(
        actor, "Someone signing in"
    )


def _message(event: AuditEvent, known: Known) -> str:
    message = known.messages.get(event.subject_id or 0)
    if message is None:
        return "a message"
    to = known.staff.get(message.staff_member_id or 0)
    what = message.template_key.replace("_", " ")
    channel = "SMS" if message.channel == "sms" else message.channel
    return f"the {what} {channel}" + (f" to {to}" if to else " to the patient")


def _alert(event: AuditEvent, known: Known) -> str:
    code = known.alert_codes.get(event.subject_id or 0)
    return f"alert {code}" if code else "the alert"


def _names(ids: Any, known: Known) -> str:
    return ", ".join(known.staff.get(int(i), "someone") for i in ids or [] if str(i).isdigit())


Phrase = Callable[[AuditEvent, dict[str, Any], Known], str]

PHRASES: dict[str, Phrase] = {
    "alert.raised": lambda e, d, k: (
        f"raised {str(d.get('level', '')).upper()} {_alert(e, k)}"
        + (f" for {describe_symptoms(list(d['symptoms']))}" if d.get("symptoms") else "")
    ),
    "alert.notified": lambda e, d, k: (
        f"sent {d.get('kind', 'a notification')!s} notices about {_alert(e, k)} "
        f"to {_names(d.get('staff'), k) or 'nobody'} (step {int(d.get('step', 0)) + 1})"
    ),
    "alert.escalated": lambda e, d, k: (
        f"escalated {_alert(e, k)} to step {int(d.get('step', 0)) + 1}"
    ),
    "alert.upgraded": lambda e, d, k: (
        f"made {_alert(e, k)} red: a new reply reported an MSCC symptom"
    ),
    "alert.renotified": lambda e, d, k: (
        f"told the contacts of {_alert(e, k)} again: another red reply"
    ),
    "alert.reply_attached": lambda e, d, k: f"attached a later reply to {_alert(e, k)}",
    "alert.nobody_reachable": lambda e, d, k: (
        f"found nobody on the chain reachable for {_alert(e, k)}"
    ),
    "alert.acknowledged": lambda e, d, k: (
        f"acknowledged {_alert(e, k)} {VIA.get(str(d.get('via')), '')}".strip()
    ),
    "alert.acknowledged_again": lambda e, d, k: (
        f"acknowledged {_alert(e, k)} again (it was already taken)"
    ),
    "alert.resolved": lambda e, d, k: (
        f"resolved {_alert(e, k)}"
        + (f": {d['outcome'].replace('_', ' ')}" if d.get("outcome") else "")
        + ("; MRI time recorded" if d.get("mri_recorded") else "")
    ),
    "api.alert_acknowledged": lambda e, d, k: (
        f"acknowledged {_alert(e, k)} for {_names([d.get('on_behalf_of')], k)}"
    ),
    "inbound.received": lambda e, d, k: "stored a reply as it arrived",
    "inbound.triaged": lambda e, d, k: f"had a reply triaged as {str(d.get('label', '')).upper()}",
    "inbound.reviewed": lambda e, d, k: (
        "marked a reply as reviewed" + (" with a note" if d.get("with_note") else "")
    ),
    "inbound.handling_failed": lambda e, d, k: (
        "could not handle a reply, so put it on the review list"
    ),
    "inbound.staff_message": lambda e, d, k: "received a message from staff",
    "inbound.unknown_sender": lambda e, d, k: "received a reply from a number it does not know",
    "patient.enrolled": lambda e, d, k: (
        f"enrolled the patient ({d.get('messages_planned', 0)} messages planned)"
    ),
    "patient.updated": lambda e, d, k: (
        "changed the patient's "
        + ", ".join(str(f).replace("_", " ") for f in d.get("fields") or ["details"])
    ),
    "patient.replanned": lambda e, d, k: (
        f"planned the patient's messages again ({d.get('planned', 0)} planned, "
        f"{d.get('cancelled', 0)} cancelled)"
    ),
    "patient.opted_out": lambda e, d, k: (
        f"opted the patient out {VIA.get(str(d.get('via')), '')}".strip()
    ),
    "patient.opted_in": lambda e, d, k: (
        f"opted the patient back in {VIA.get(str(d.get('via')), '')}".strip()
    ),
    "patient.paused": lambda e, d, k: "paused the patient's messages",
    "patient.active": lambda e, d, k: "resumed the patient's messages",
    "patient.discharged": lambda e, d, k: "discharged the patient",
    "patient.unreachable": lambda e, d, k: "flagged the patient as unreachable",
    "patient.reachable": lambda e, d, k: "cleared the unreachable flag",
    "message.suppressed": lambda e, d, k: f"held back {_message(e, k)}",
}


def describe(event: AuditEvent, known: Known) -> AuditLine:
    details = event.details if isinstance(event.details, dict) else {}
    phrase = PHRASES.get(event.action)
    if phrase is not None:
        what = phrase(event, details, known)
    elif event.action.startswith("message."):
        what = f"recorded {_message(event, known)} as {event.action.partition('.')[2]}"
    else:
        what = event.action.replace(".", ": ").replace("_", " ")
    return AuditLine(event.at, who(event.actor, known), what, event.action)


def _trail(
    session: Session, trust_id: int, subjects: dict[str, list[int]], alert_codes: dict[int, str]
) -> list[AuditLine]:
    wanted = [
        (AuditEvent.subject_type == kind) & AuditEvent.subject_id.in_(ids)
        for kind, ids in subjects.items()
        if ids
    ]
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                or_(*wanted),
                # A reply is stored before its trust is known: its first event has none.
                or_(AuditEvent.trust_id == trust_id, AuditEvent.trust_id.is_(None)),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(LIMIT)
        )
    )
    known = Known(
        staff={
            m.id: m.name
            for m in session.scalars(select(StaffMember).where(StaffMember.trust_id == trust_id))
        },
        messages={
            m.id: m
            for m in session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.trust_id == trust_id,
                    OutboundMessage.id.in_(subjects.get("outbound_message", [])),
                )
            )
        },
        alert_codes=alert_codes,
    )
    return [describe(e, known) for e in events]


def _ids(session: Session, query: Any) -> list[int]:
    return [int(i) for i in session.scalars(query)]


def alert_trail(session: Session, alert: Alert) -> list[AuditLine]:
    replies = _ids(
        session,
        select(InboundMessage.id).where(
            InboundMessage.trust_id == alert.trust_id,
            or_(InboundMessage.alert_id == alert.id, InboundMessage.id == alert.inbound_message_id),
        ),
    )
    messages = _ids(
        session,
        select(AlertNotification.outbound_message_id).where(AlertNotification.alert_id == alert.id),
    )
    subjects = {"alert": [alert.id], "inbound_message": replies, "outbound_message": messages}
    return _trail(session, alert.trust_id, subjects, {alert.id: alert.code})


def patient_trail(session: Session, patient: Patient) -> list[AuditLine]:
    alerts = {
        a.id: a.code
        for a in session.scalars(
            select(Alert).where(Alert.patient_id == patient.id, Alert.trust_id == patient.trust_id)
        )
    }
    replies = _ids(
        session,
        select(InboundMessage.id).where(
            InboundMessage.patient_id == patient.id, InboundMessage.trust_id == patient.trust_id
        ),
    )
    messages = _ids(
        session,
        select(OutboundMessage.id).where(
            OutboundMessage.patient_id == patient.id, OutboundMessage.trust_id == patient.trust_id
        ),
    )
    subjects = {
        "patient": [patient.id],
        "alert": list(alerts),
        "inbound_message": replies,
        "outbound_message": messages,
    }
    return _trail(session, patient.trust_id, subjects, alerts)


@router.get("/alerts/{alert_id}/audit", response_class=HTMLResponse)
def alert_audit(
    alert_id: RowId, request: Request, viewer: Viewer = Depends(current_staff)
) -> HTMLResponse:
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, viewer.trust_id)
        lines = alert_trail(session, alert)
        patient: Any = (
            patient_view(alert.patient) if alert.patient else {"name": "an unknown sender"}
        )
        title, back = f"Audit trail of alert {alert.code}", f"/alerts/{alert.id}"
    return _page(request, viewer, title, back, f"Alert {alert.code}", patient, lines)


@router.get("/patients/{patient_id}/audit", response_class=HTMLResponse)
def patient_audit(
    patient_id: RowId, request: Request, viewer: Viewer = Depends(current_staff)
) -> HTMLResponse:
    with session_scope() as session:
        patient = owned(session, Patient, patient_id, viewer.trust_id)
        lines = patient_trail(session, patient)
        view = patient_view(patient)
    title = f"Audit trail of {view.name}"
    return _page(request, viewer, title, f"/patients/{view.id}", view.name, view, lines)


def _page(
    request: Request,
    viewer: Viewer,
    title: str,
    back: str,
    back_text: str,
    patient: Any,
    lines: list[AuditLine],
) -> HTMLResponse:
    return render(
        request,
        "audit.html",
        {
            "viewer": viewer,
            "active": "history",
            "title": title,
            "back": back,
            "back_text": back_text,
            "patient": patient,
            "lines": lines,
            "limit": LIMIT,
        },
    )
