"""The staff API: every endpoint, its 422s, and what it changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from schema.db import session_scope
from schema.encryption import lookup_hmac
from schema.models import (
    Alert,
    ApiToken,
    AuditEvent,
    MessageState,
    OutboundMessage,
    Patient,
    StaffMember,
)
from tests.conftest import LOCAL
from tests.web.conftest import World, bearer

NEW_PATIENT = {
    "nhs_number": "943 476 5846",
    "given_name": "Dylan",
    "family_name": "Rhys",
    "phone": "07700 900311",
    "email": "dylan@example.com",
    "cohort": "bone_mets",
    "language": "en",
}


class Api:
    def __init__(self, app: FastAPI, token: str) -> None:
        self.client = TestClient(app, base_url=LOCAL, headers=bearer(token))

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(f"/api/v1{path}", json=body)


@pytest.fixture
def api(world: World, app: FastAPI) -> Iterator[Api]:
    client = Api(app, world.a.token)
    yield client
    client.client.close()


def fields_of(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {tuple(e["loc"])[-1] for e in response.json()["detail"]}


def scheduled_to(address: str) -> int:
    with session_scope() as session:
        scheduled = session.scalars(
            select(OutboundMessage.to_address).where(
                OutboundMessage.state == MessageState.SCHEDULED
            )
        )
        return sum(1 for to in scheduled if to == address)  # encrypted: compared once read


def test_enrolling_a_patient_answers_201_with_the_patient_and_plans_messages(api: Api) -> None:
    response = api.post("/patients", NEW_PATIENT)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["nhs_number"] == "9434765846" and body["phone"] == "+447700900311"
    assert body["status"] == "active" and body["opted_out"] is False
    assert scheduled_to("+447700900311") > 1
    with session_scope() as session:
        actor = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "patient.enrolled")
        ).all()[-1]
    assert actor.startswith("api:") and actor.endswith(":RXX PAS")


def test_an_enrolment_with_bad_fields_is_a_422_naming_each_field(api: Api) -> None:
    bad = {**NEW_PATIENT, "nhs_number": "1234567890", "phone": "0113 496 0000", "cohort": "nope"}
    assert fields_of(api.post("/patients", bad)) == {"nhs_number", "phone", "cohort"}
    assert fields_of(api.post("/patients", {**NEW_PATIENT, "language": "fr"})) == {"language"}
    missing = {k: v for k, v in NEW_PATIENT.items() if k != "given_name"}
    assert fields_of(api.post("/patients", missing)) == {"given_name"}
    assert fields_of(api.post("/patients", {**NEW_PATIENT, "shoe_size": 9})) == {"shoe_size"}
    assert api.post("/patients", None).status_code == 422
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 2


def test_enrolling_the_same_nhs_number_twice_is_a_422(api: Api) -> None:
    assert api.post("/patients", NEW_PATIENT).status_code == 201
    response = api.post("/patients", NEW_PATIENT)
    assert fields_of(response) == {"nhs_number"}
    assert "already enrolled" in response.text


def test_the_same_nhs_number_may_be_enrolled_in_another_trust(
    world: World, app: FastAPI, api: Api
) -> None:
    other = Api(app, world.b.token)
    assert other.post("/patients", {**NEW_PATIENT, "phone": "07700 900399"}).status_code == 201
    assert api.post("/patients", NEW_PATIENT).status_code == 201


def test_a_patient_is_read_by_id_or_found_by_nhs_number(world: World, api: Api) -> None:
    one = api.get(f"/patients/{world.a.patient_id}")
    assert one.status_code == 200 and one.json()["given_name"] == "Ann"
    assert api.get("/patients", nhs_number="943 476 5919").json() == [one.json()]
    assert api.get("/patients", nhs_number="9434765846").json() == []
    assert api.get("/patients").status_code == 422
    assert api.get("/patients/999999").status_code == 404
    assert api.get("/patients/not-a-number").status_code == 422


def test_updating_a_name_changes_only_the_name(world: World, api: Api) -> None:
    before = scheduled_to("+447700900301")
    response = api.patch(f"/patients/{world.a.patient_id}", {"family_name": "Exemplar"})
    assert response.status_code == 200
    assert response.json()["family_name"] == "Exemplar"
    assert scheduled_to("+447700900301") == before
    with session_scope() as session:
        details = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "patient.updated")
        ).one()
    assert details == {"fields": ["family_name"]}


def test_a_new_phone_number_re_plans_every_future_message_to_it(world: World, api: Api) -> None:
    before = scheduled_to("+447700900301")
    assert before > 1
    response = api.patch(f"/patients/{world.a.patient_id}", {"phone": "07700 900355"})
    assert response.status_code == 200 and response.json()["phone"] == "+447700900355"
    assert scheduled_to("+447700900301") == 0
    assert scheduled_to("+447700900355") >= before - 1  # what was due before now is not repeated
    with session_scope() as session:
        events = list(
            session.scalars(select(AuditEvent).where(AuditEvent.subject_id == world.a.patient_id))
        )
        text = " ".join(str(e.details) for e in events)
    assert any(e.action == "patient.replanned" for e in events)
    assert "900355" not in text and "900301" not in text  # no numbers in the audit trail


def test_a_new_email_re_plans_and_an_empty_one_removes_it(world: World, api: Api) -> None:
    response = api.patch(f"/patients/{world.a.patient_id}", {"email": "Ann@Example.com"})
    assert response.json()["email"] == "Ann@example.com"
    response = api.patch(f"/patients/{world.a.patient_id}", {"email": ""})
    assert response.status_code == 200 and response.json()["email"] is None
    with session_scope() as session:
        reasons = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "patient.replanned")
        ).all()
    assert [r["reason"] for r in reasons] == ["contact_changed", "contact_changed"]


def test_bad_updates_are_422s_that_change_nothing(world: World, api: Api) -> None:
    path = f"/patients/{world.a.patient_id}"
    assert fields_of(api.patch(path, {"phone": "0113 496 0000"})) == {"phone"}
    assert fields_of(api.patch(path, {"email": "not an email"})) == {"email"}
    assert api.patch(path, {}).status_code == 422
    assert api.patch(path, {"phone": None}).status_code == 422
    assert fields_of(api.patch(path, {"nhs_number": "9434765846"})) == {"nhs_number"}
    assert fields_of(api.patch(path, {"given_name": ""})) == {"given_name"}
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None and patient.phone_e164 == "+447700900301"


def test_pause_resume_and_discharge(world: World, api: Api) -> None:
    path = f"/patients/{world.a.patient_id}"
    assert api.post(f"{path}/pause").json()["status"] == "paused"
    assert api.post(f"{path}/pause").json()["status"] == "paused"  # again: harmless
    assert api.post(f"{path}/resume").json()["status"] == "active"
    assert api.post(f"{path}/discharge").json()["status"] == "discharged"
    assert scheduled_to("+447700900301") == 0
    refused = api.post(f"{path}/resume")
    assert refused.status_code == 409 and "enrolled again" in refused.text


def test_alerts_are_listed_open_by_default_with_their_reply_and_notifications(
    world: World, api: Api
) -> None:
    alerts = api.get("/alerts").json()
    assert [a["id"] for a in alerts] == [world.a.alert_id]
    alert = alerts[0]
    assert alert["level"] == "red" and alert["state"] == "open" and alert["step"] == 1
    assert alert["reply"]["body"] == world.a.said
    assert alert["reply"]["evidence"]["matched"] == ["legs keep giving way"]
    assert {(n["staff_name"], n["channel"], n["state"]) for n in alert["notifications"]} == {
        ("Asha Okafor", "sms", "scheduled"),
        ("Asha Okafor", "email", "scheduled"),
    }
    assert api.get("/alerts", state="resolved").json() == []
    assert fields_of(api.get("/alerts", state="lost")) == {"state"}
    assert fields_of(api.get("/alerts", limit=0)) == {"limit"}


def test_an_alert_is_read_by_id(world: World, api: Api) -> None:
    response = api.get(f"/alerts/{world.a.alert_id}")
    assert response.status_code == 200 and response.json()["code"]
    assert api.get("/alerts/999999").status_code == 404


def test_acknowledging_for_a_named_staff_member_stops_escalation_and_audits_the_token(
    world: World, api: Api
) -> None:
    response = api.post(
        f"/alerts/{world.a.alert_id}/acknowledge",
        {"staff_email": "ASHA.OKAFOR@riverside.example.nhs.uk"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["first"] is True
    assert body["alert"]["state"] == "acknowledged"
    assert body["alert"]["acknowledged_by"] == "Asha Okafor"
    assert [a["id"] for a in api.get("/alerts").json()] == []
    assert [a["id"] for a in api.get("/alerts", state="acknowledged").json()] == [world.a.alert_id]
    with session_scope() as session:
        acknowledged = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "alert.acknowledged")
        ).one()
        by_api = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api.alert_acknowledged")
        ).one()
        asha = session.scalars(select(StaffMember).where(StaffMember.key == "asha")).first()
        assert asha is not None
    assert acknowledged.details["via"] == "api"
    assert acknowledged.actor == f"staff:{asha.id}"
    assert by_api.details["token_name"] == "RXX PAS" and by_api.details["on_behalf_of"] == asha.id
    again = api.post(f"/alerts/{world.a.alert_id}/acknowledge", {"staff_id": asha.id})
    assert again.status_code == 200 and again.json()["first"] is False


def test_acknowledging_needs_exactly_one_staff_member_of_the_tokens_trust(
    world: World, api: Api
) -> None:
    path = f"/alerts/{world.a.alert_id}/acknowledge"
    assert api.post(path, {}).status_code == 422
    assert api.post(path, None).status_code == 422
    assert api.post(path, {"staff_email": world.a.coordinator, "staff_id": 1}).status_code == 422
    assert fields_of(api.post(path, {"staff_email": world.b.coordinator})) == {"staff_email"}
    with session_scope() as session:
        other = session.scalars(
            select(StaffMember.id).where(StaffMember.trust_id == world.b.trust_id)
        ).first()
    assert fields_of(api.post(path, {"staff_id": other})) == {"staff_id"}
    with session_scope() as session:
        alert = session.get(Alert, world.a.alert_id)
        assert alert is not None and alert.state == "open"


def test_each_call_records_when_its_token_was_last_used(world: World, api: Api) -> None:
    api.get("/alerts")
    with session_scope() as session:
        used = session.scalars(
            select(ApiToken.last_used_at).where(ApiToken.trust_id == world.a.trust_id)
        ).one()
    assert used is not None


def test_only_the_tokens_sha256_is_stored(world: World) -> None:
    with session_scope() as session:
        stored = session.scalars(
            select(ApiToken.token_hash).where(ApiToken.trust_id == world.a.trust_id)
        ).one()
    assert stored == hashlib.sha256(world.a.token.encode()).hexdigest()
    assert world.a.token not in stored


def test_every_api_endpoint_documents_its_responses_with_models(world: World, api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    operations = [
        (path, method, op)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1")
        for method, op in methods.items()
    ]
    assert (
        len(operations) == 13
    )  # with resolve and the monthly report (issue 18), the FHIR feed (16)
    for path, method, op in operations:
        ok = op["responses"].get("200") or op["responses"].get("201")
        assert ok and "$ref" in str(ok["content"]), f"{method} {path} has no response model"
        assert "422" in op["responses"], f"{method} {path}"
        assert op.get("security"), f"{method} {path} is not marked as needing a token"


def test_enrolling_a_patient_on_a_staff_members_phone_is_refused_unless_allowed(api: Api) -> None:
    shared = {**NEW_PATIENT, "phone": "07700 900101"}  # Asha's, a coordinator of trust A
    assert fields_of(api.post("/patients", shared)) == {"phone"}
    with session_scope() as session:
        on_it = select(func.count()).where(Patient.phone_hmac == lookup_hmac("+447700900101"))
        assert session.scalar(on_it) == 0
    response = api.post("/patients", {**shared, "allow_staff_number": True})
    assert response.status_code == 201, response.text
    with session_scope() as session:
        enrolled = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "patient.enrolled")
        ).all()
        assert [e.details.get("shares_a_staff_number") for e in enrolled][-1] is True
