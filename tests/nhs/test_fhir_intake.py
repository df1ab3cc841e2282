"""FHIR in: the same rules as the ADT feed through `POST /fhir/...`, with the trust's bearer
token, X-Request-ID idempotency and OperationOutcome errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway import audit
from schema.db import session_scope
from schema.models import IntegrationMessage, MessageState, Patient, PatientStatus, Trust
from schema.types import utcnow
from tests.conftest import LOCAL
from tests.nhs.conftest import load, messages_of, row_counts, trust_yaml
from tests.web.conftest import bearer, load_second_trust
from web import fhir as web_fhir
from web.app import create_app
from web.auth import tokens

pytestmark = pytest.mark.timeout(60)

NHS = "9434765919"
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
EPISODE_TYPES = "https://fhir.riverside.example/CodeSystem/episode-type"


def patient_resource(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": NHS_SYSTEM, "value": NHS}],
        "name": [{"use": "official", "family": "Example", "given": ["Ann"]}],
        "birthDate": "1950-01-01",
        "telecom": [{"system": "phone", "use": "mobile", "value": "07700 900123"}],
    }
    resource.update(changes)
    return resource


def bundle(status: str = "active", **patient: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": patient_resource(**patient)},
            {
                "resource": {
                    "resourceType": "EpisodeOfCare",
                    "status": status,
                    "type": [{"coding": [{"system": EPISODE_TYPES, "code": "mscc-spinal-mets"}]}],
                    "patient": {"reference": "urn:uuid:p1"},
                    "period": {"start": "2026-12-01T10:00:00+00:00"},
                }
            },
        ],
    }


class Fhir:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token

    def post(
        self, path: str, body: Any, *, request_id: str | None = None, **headers: str
    ) -> tuple[int, dict[str, Any]]:
        sent = {
            **bearer(self.token),
            "Content-Type": "application/fhir+json",
            "X-Request-ID": request_id or str(uuid.uuid4()),
            **headers,
        }
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.post(path, content=content, headers=sent)
        return response.status_code, response.json() if response.content else {}


def issue_token(code: str) -> str:
    with session_scope() as session:
        trust = session.scalars(select(Trust).where(Trust.code == code)).one()
        return tokens.issue(session, trust, f"{code} EPR", actor=audit.CLI, now=utcnow())[1]


@pytest.fixture
def fhir(database_url: str) -> Iterator[Fhir]:
    load(trust_yaml())
    with TestClient(create_app(), base_url=LOCAL) as client:
        yield Fhir(client, issue_token("RXX"))


def the_patient(nhs_number: str = NHS) -> Patient:
    with session_scope() as session:
        found = session.scalars(select(Patient).where(Patient.nhs_number == nhs_number)).one()
        session.expunge(found)
        return found


def test_a_patient_with_an_active_episode_enrols_and_the_same_request_again_changes_nothing(
    fhir: Fhir,
) -> None:
    request_id = str(uuid.uuid4())
    status, outcome = fhir.post("/fhir/Patient", bundle(), request_id=request_id)
    assert status == 201, outcome
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "information"
    patient = the_patient()
    assert (patient.cohort, patient.status) == ("spinal_mets", PatientStatus.ACTIVE)
    counts = row_counts()
    assert fhir.post("/fhir/Patient", bundle(), request_id=request_id) == (201, outcome)
    assert row_counts() == counts


def test_the_same_request_id_with_another_body_is_refused_and_changes_nothing(
    fhir: Fhir,
) -> None:
    request_id = str(uuid.uuid4())
    fhir.post("/fhir/Patient", bundle(), request_id=request_id)
    counts = row_counts()
    status, outcome = fhir.post("/fhir/Patient", bundle("finished"), request_id=request_id)
    assert status == 409
    assert (
        "X-Request-ID: already used for a different request" in outcome["issue"][0]["diagnostics"]
    )
    assert row_counts() == counts
    assert the_patient().status == PatientStatus.ACTIVE


def test_a_finished_episode_discharges_and_a_patient_alone_updates(fhir: Fhir) -> None:
    fhir.post("/fhir/Patient", bundle())
    status, _ = fhir.post(
        "/fhir/Patient", patient_resource(name=[{"family": "Exemplar", "given": ["Ann"]}])
    )
    assert status == 200
    assert the_patient().family_name == "Exemplar"
    status, _ = fhir.post("/fhir/Patient", bundle("finished"))
    assert status == 200
    discharged = the_patient()
    assert discharged.status == PatientStatus.DISCHARGED
    assert {m.state for m in messages_of(discharged.id)} == {MessageState.CANCELLED}


def test_a_flag_alone_enrols_a_patient_named_by_nhs_number(fhir: Fhir) -> None:
    flag = {
        "resourceType": "Flag",
        "status": "active",
        "code": {"coding": [{"code": "MSCC-RISK"}]},
        "subject": {"identifier": {"system": NHS_SYSTEM, "value": NHS}},
    }
    status, outcome = fhir.post("/fhir/Flag", flag)
    # A Flag alone carries no names or mobile: it cannot enrol someone new.
    assert status == 422
    paths = {issue["expression"][0] for issue in outcome["issue"]}
    assert paths == {"Patient.name.family", "Patient.name.given", "Patient.telecom"}
    fhir.post("/fhir/Patient", bundle())
    status, _ = fhir.post("/fhir/Flag", {**flag, "status": "inactive"})
    assert status == 200
    assert the_patient().status == PatientStatus.ACTIVE  # the flag's cohort is not the patient's


def test_a_patient_alone_never_enrols(fhir: Fhir) -> None:
    counts = row_counts()
    status, outcome = fhir.post("/fhir/Patient", patient_resource())
    assert status == 422
    assert outcome["issue"][0]["expression"] == ["Patient.identifier"]
    assert "never enrols" in outcome["issue"][0]["diagnostics"]
    assert row_counts() == counts


def test_a_token_of_another_trust_reaches_only_its_own_patients(database_url: str) -> None:
    load(trust_yaml())
    with session_scope() as session:
        load_second_trust(session)
    with TestClient(create_app(), base_url=LOCAL) as client:
        ours = Fhir(client, issue_token("RXX"))
        theirs = Fhir(client, issue_token("RYY"))
        assert ours.post("/fhir/Patient", bundle())[0] == 201
        counts = row_counts()
        # RYY's system names RXX's patient: RYY has no such patient, and RXX's is untouched.
        status, _ = theirs.post("/fhir/Patient", patient_resource(name=[{"family": "Mallory"}]))
        assert status == 422
        status, _ = theirs.post("/fhir/Patient", bundle("finished"))
        assert status == 200
    assert row_counts()["patients"] == counts["patients"]
    patient = the_patient()
    assert (patient.family_name, patient.status) == ("Example", PatientStatus.ACTIVE)
    with session_scope() as session:
        assert session.get(Trust, patient.trust_id).code == "RXX"  # type: ignore[union-attr]


def test_a_request_whose_handling_raises_is_kept_failed_answered_500_and_a_retry_applies_it(
    fhir: Fhir, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(web_fhir, "apply_event", broken)
    request_id = str(uuid.uuid4())
    status, outcome = fhir.post("/fhir/Patient", bundle(), request_id=request_id)
    assert status == 500
    assert outcome["issue"][0]["code"] == "exception"
    with session_scope() as session:
        kept = session.scalars(select(IntegrationMessage)).one()
        assert (kept.status, kept.error, kept.message_id) == ("failed", "RuntimeError", request_id)
        assert kept.raw is not None and NHS in kept.raw  # for a person to see
        assert session.scalars(select(Patient)).first() is None
    monkeypatch.undo()
    status, _ = fhir.post("/fhir/Patient", bundle(), request_id=request_id)
    assert status == 201
    with session_scope() as session:
        assert session.scalars(select(IntegrationMessage.status)).one() == "applied"
    assert the_patient().status == PatientStatus.ACTIVE
