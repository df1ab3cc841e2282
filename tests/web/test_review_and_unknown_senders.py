"""On the dashboard: the review list shows each reply's due time and records the decision; an
unknown sender's alert is on the queue, and its number is linked to a patient, audited."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway import replies
from pathway.intake import store_inbound
from schema.db import session_scope
from schema.models import Alert, AuditEvent, InboundMessage, PatientContact
from schema.types import utcnow
from schema.vocabulary import ReviewDecision, ReviewState
from tests.conftest import LOCAL
from tests.web.conftest import World, bearer, signed_in

TRUST_A_NUMBER = "+447700900000"
HUSBAND = "+447700900777"


def unknown_red_reply() -> int:
    with session_scope() as session:
        inbound_id = store_inbound(
            session,
            sid=f"SM{uuid.uuid4().hex}",
            sender=HUSBAND,
            to=TRUST_A_NUMBER,
            body="this is Ann's husband, her legs have gone numb",
            now=utcnow(),
        )
        assert inbound_id is not None
        replies.handle_inbound(session, inbound_id, utcnow())
        return inbound_id


def test_the_review_list_shows_the_due_time_and_records_the_decision(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    page = staff.get("/").text
    assert f'id="reply-{world.a.review_id}"' in page
    assert "to be read by" in page
    response = staff.post(
        f"/replies/{world.a.review_id}/review",
        {"review_note": "phoned: fine", "decision": "contacted"},
    )
    assert response.status_code == 303
    with session_scope() as session:
        inbound = session.get(InboundMessage, world.a.review_id)
        assert inbound is not None
        assert inbound.review_state == ReviewState.CLOSED
        assert inbound.review_decision == ReviewDecision.CONTACTED
        assert inbound.reviewed_by_id is not None


def test_a_decision_not_on_the_list_is_refused(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    response = staff.post(f"/replies/{world.a.review_id}/review", {"decision": "ignored"})
    assert response.status_code == 422
    with session_scope() as session:
        inbound = session.get(InboundMessage, world.a.review_id)
        assert inbound is not None and inbound.review_state == ReviewState.OPEN


def test_an_unknown_senders_alert_is_on_the_queue_and_its_number_is_linked_to_a_patient(
    world: World, app: FastAPI
) -> None:
    inbound_id = unknown_red_reply()
    staff = signed_in(app, world.a.coordinator)
    page = staff.get("/").text
    assert "unknown sender" in page
    assert "07700 900777" in page
    assert f'action="/replies/{inbound_id}/link"' in page
    assert "07700 900777" not in signed_in(app, world.b.coordinator).get("/").text
    response = staff.post(
        f"/replies/{inbound_id}/link", {"nhs_number": world.a.nhs_number, "kind": "carer"}
    )
    assert response.headers["location"].startswith("/?done=linked")
    with session_scope() as session:
        contact = session.scalars(select(PatientContact)).one()
        assert contact.patient_id == world.a.patient_id and contact.kind == "carer"
        linked = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "contact.linked")
        ).one()
        assert linked.actor.startswith("staff:")
        inbound = session.get(InboundMessage, inbound_id)
        assert inbound is not None and inbound.alert_id is not None
        alert = session.get(Alert, inbound.alert_id)
        # Ann has an open alert of her own: one per patient, so this one goes on as it is.
        assert alert is not None and alert.patient_id is None


def test_another_trusts_coordinator_cannot_link_the_number(world: World, app: FastAPI) -> None:
    inbound_id = unknown_red_reply()
    other = signed_in(app, world.b.coordinator)
    response = other.post(
        f"/replies/{inbound_id}/link", {"nhs_number": world.b.nhs_number, "kind": "patient"}
    )
    assert response.status_code == 404
    with session_scope() as session:
        assert session.scalars(select(PatientContact)).all() == []


def test_an_unknown_senders_alert_has_its_page_its_history_row_its_audit_trail_and_its_api_form(
    world: World, app: FastAPI
) -> None:
    inbound_id = unknown_red_reply()
    with session_scope() as session:
        inbound = session.get(InboundMessage, inbound_id)
        assert inbound is not None and inbound.alert_id is not None
        alert_id = inbound.alert_id
    staff = signed_in(app, world.a.coordinator)
    page = staff.get(f"/alerts/{alert_id}")
    assert page.status_code == 200 and "unknown sender" in page.text
    assert "07700 900777" in page.text
    history = staff.get("/alerts")
    assert history.status_code == 200 and "unknown sender" in history.text
    assert staff.get(f"/alerts/{alert_id}/audit").status_code == 200
    api = TestClient(app, base_url=LOCAL, headers=bearer(world.a.token))
    found = api.get(f"/api/v1/alerts/{alert_id}")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["unknown_sender"] is True and body["patient_id"] is None
