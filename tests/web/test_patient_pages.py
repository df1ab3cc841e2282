"""Patients in the browser (issue 18, item 7): contact details, cohort and language edited,
opt-out and back in as the CLI does, an unclear reply reviewed from the patient's page, the
cancelled schedule folded into one line, and a status badge that is right."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from schema.db import session_scope
from schema.models import AuditEvent, InboundMessage, MessageState, OutboundMessage, Patient
from schema.types import utcnow
from tests.web.conftest import World, signed_in


def patient(patient_id: int) -> Patient:
    with session_scope() as session:
        found = session.get(Patient, patient_id)
        assert found is not None
        session.expunge(found)
        return found


def planned(patient_id: int, state: MessageState = MessageState.SCHEDULED) -> int:
    with session_scope() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    OutboundMessage.patient_id == patient_id,
                    OutboundMessage.kind == "planned",
                    OutboundMessage.state == state,
                )
            )
            or 0
        )


def audited(patient_id: int, action: str) -> list[dict[str, object]]:
    with session_scope() as session:
        return [
            dict(details)
            for details in session.scalars(
                select(AuditEvent.details).where(
                    AuditEvent.subject_type == "patient",
                    AuditEvent.subject_id == patient_id,
                    AuditEvent.action == action,
                )
            )
        ]


def test_a_coordinator_changes_phone_email_cohort_and_language_and_the_plan_follows(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    before = planned(world.a.patient_id)
    changed = staff.post(
        f"/patients/{world.a.patient_id}/details",
        {
            "phone": "07700 900333",
            "email": "ann@example.com",
            "cohort": "bone_mets",
            "language": "cy",
        },
    )
    assert changed.status_code == 303, changed.text
    now = patient(world.a.patient_id)
    assert (now.phone_e164, now.email, now.cohort, now.language) == (
        "+447700900333", "ann@example.com", "bone_mets", "cy",
    )  # fmt: skip
    (event,) = audited(world.a.patient_id, "patient.updated")
    assert event["fields"] == ["cohort", "email", "language", "phone"]  # names, never values
    (replanned,) = audited(world.a.patient_id, "patient.replanned")
    assert replanned["reason"] == "cohort_changed" and replanned["cancelled"] == before
    page = staff.get(f"/patients/{world.a.patient_id}")
    assert "Welsh" in page.text and "Language cy" not in page.text


def test_bad_details_say_which_field_and_change_nothing(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    refused = staff.post(
        f"/patients/{world.a.patient_id}/details",
        {"phone": "12", "email": "ann@", "cohort": "nonsense", "language": "xx"},
    )
    assert refused.status_code == 422
    for field in ("phone:", "email:", "cohort:", "language:"):
        assert field in refused.text
    unchanged = patient(world.a.patient_id)
    assert (unchanged.phone_e164, unchanged.cohort) == (world.a.phone, "spinal_mets")
    assert not audited(world.a.patient_id, "patient.updated")


def test_opting_out_in_the_browser_cancels_the_plan_folds_it_and_shows_opted_out(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    scheduled = planned(world.a.patient_id)
    assert scheduled > 2
    unticked = staff.post(f"/patients/{world.a.patient_id}/opt-out")
    assert unticked.status_code == 422 and patient(world.a.patient_id).opted_out_at is None
    assert (
        staff.post(f"/patients/{world.a.patient_id}/opt-out", {"confirm": "yes"}).status_code == 303
    )
    assert patient(world.a.patient_id).opted_out_at is not None
    assert planned(world.a.patient_id) == 0
    (event,) = audited(world.a.patient_id, "patient.opted_out")
    assert event == {"via": "web", "cancelled": scheduled}
    page = staff.get(f"/patients/{world.a.patient_id}").text
    assert f"{scheduled} planned messages cancelled" in page
    assert page.count("tag--cancelled") == 1  # one folded line, not one per message
    assert 'tag--opted-out">opted out</span> <span class="hint">(active)' in page
    listed = staff.get("/patients").text
    assert (
        'tag--opted-out">opted out</span>' in listed
        and 'tag--active">active' not in listed.split(world.a.patient_name)[1].split("</tr>")[0]
    )

    assert staff.post(f"/patients/{world.a.patient_id}/opt-in").status_code == 303
    assert patient(world.a.patient_id).opted_out_at is None
    assert planned(world.a.patient_id) > 0  # planned again from now


def test_a_deceased_patient_is_shown_so_and_cannot_be_opted_back_in(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        row = session.get(Patient, world.a.patient_id)
        assert row is not None
        row.deceased_at = utcnow()
        row.opted_out_at = utcnow()
        row.status = "discharged"
    staff = signed_in(app, world.a.coordinator)
    page = staff.get(f"/patients/{world.a.patient_id}").text
    assert 'tag--deceased">deceased</span>' in page
    refused = staff.post(f"/patients/{world.a.patient_id}/opt-in")
    assert refused.status_code == 409 and "has died" in refused.text
    assert patient(world.a.patient_id).opted_out_at is not None


def test_an_unclear_reply_is_reviewed_from_the_patients_page(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    page = staff.get(f"/patients/{world.a.patient_id}").text
    assert f'action="/replies/{world.a.review_id}/review"' in page
    done = staff.post(
        f"/replies/{world.a.review_id}/review", {"review_note": "rang her: fine", "back": "patient"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/patients/{world.a.patient_id}?done=reviewed#timeline"
    with session_scope() as session:
        reply = session.get(InboundMessage, world.a.review_id)
        assert reply is not None and reply.review_state == "closed"
        assert reply.review_note == "rang her: fine"


def test_another_trusts_patient_cannot_be_edited_or_opted_out(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    other = world.b.patient_id
    assert staff.post(f"/patients/{other}/details", {"cohort": "bone_mets"}).status_code == 404
    assert staff.post(f"/patients/{other}/opt-out", {"confirm": "yes"}).status_code == 404
    assert patient(other).opted_out_at is None and patient(other).cohort == "spinal_mets"
