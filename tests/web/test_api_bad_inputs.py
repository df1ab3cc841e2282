"""Bad input at every staff API entry point: a clear 4xx saying what is wrong, and the database
exactly as it was (every row of every table, not only the counts)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schema.db import session_scope
from schema.models import Base
from tests.conftest import LOCAL
from tests.web.conftest import World, bearer, build_world
from web.app import create_app
from web.ids import MAX_ROW_ID

BOOKKEEPING = {"last_used_at"}  # a token's last use is recorded even when the call is refused


def database_digest() -> str:
    """Every row of every table, in key order, hashed: any change at all shows."""
    digest = hashlib.sha256()
    with session_scope() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in BOOKKEEPING]
            query = select(*columns).order_by(*table.primary_key.columns)
            rows = session.execute(query).all()
            digest.update(f"{table.name}:{[tuple(r) for r in rows]!r}".encode())
    return digest.hexdigest()


@pytest.fixture
def api(database_url: str) -> Iterator[tuple[TestClient, World]]:
    world = build_world()
    with TestClient(create_app(), base_url=LOCAL) as client:
        yield client, world


GOOD_PATIENT = {
    "nhs_number": "9990000042",
    "given_name": "Tomasz",
    "family_name": "Nowak",
    "phone": "07700 900204",
    "cohort": "spinal_mets",
}


def patient(**changes: Any) -> dict[str, Any]:
    body = {**GOOD_PATIENT, **changes}
    return {k: v for k, v in body.items() if v is not None}


# name -> (method, path, body or None, expected status, words the error must contain)
CASES: dict[str, tuple[str, str, Any, int, str]] = {
    "enrol without a cohort": ("POST", "/api/v1/patients", patient(cohort=None), 422, "cohort"),
    "enrol with a bad NHS number": (
        "POST",
        "/api/v1/patients",
        patient(nhs_number="9990000043"),
        422,
        "check digit",
    ),
    "enrol with a landline": (
        "POST",
        "/api/v1/patients",
        patient(phone="0113 496 0001"),
        422,
        "mobile",
    ),
    "enrol with a bad email": (
        "POST",
        "/api/v1/patients",
        patient(email="not-an-email"),
        422,
        "email",
    ),
    "enrol into an unknown cohort": (
        "POST",
        "/api/v1/patients",
        patient(cohort="nowhere"),
        422,
        "nowhere",
    ),
    "enrol in a language the trust does not serve": (
        "POST",
        "/api/v1/patients",
        patient(language="fr"),
        422,
        "language",
    ),
    "enrol with an unknown field": ("POST", "/api/v1/patients", patient(ward="B12"), 422, "ward"),
    "enrol with a number for a name": (
        "POST",
        "/api/v1/patients",
        patient(given_name=12),
        422,
        "given_name",
    ),
    "enrol someone already enrolled": (
        "POST",
        "/api/v1/patients",
        patient(nhs_number="9434765919"),
        422,
        "already enrolled",
    ),
    "enrol with a body that is not JSON": ("POST", "/api/v1/patients", "not json", 422, "JSON"),
    "update with a landline": (
        "PATCH",
        "/api/v1/patients/{a_patient}",
        {"phone": "0113 496 0001"},
        422,
        "mobile",
    ),
    "update an unknown field": (
        "PATCH",
        "/api/v1/patients/{a_patient}",
        {"cohort": "bone_mets"},
        422,
        "cohort",
    ),
    "update another trust's patient": (
        "PATCH",
        "/api/v1/patients/{b_patient}",
        {"given_name": "Eve"},
        404,
        "no such patient",
    ),
    "update a patient id beyond any row": (
        "PATCH",
        f"/api/v1/patients/{MAX_ROW_ID + 1}",
        {"given_name": "Eve"},
        422,
        "patient_id",
    ),
    "pause a patient id of zero": ("POST", "/api/v1/patients/0/pause", None, 422, "patient_id"),
    "discharge another trust's patient": (
        "POST",
        "/api/v1/patients/{b_patient}/discharge",
        None,
        404,
        "no such patient",
    ),
    "list alerts in a state that does not exist": (
        "GET",
        "/api/v1/alerts?state=panicking",
        None,
        422,
        "state",
    ),
    "list a negative number of alerts": ("GET", "/api/v1/alerts?limit=-1", None, 422, "limit"),
    "acknowledge naming nobody": ("POST", "/api/v1/alerts/{a_alert}/acknowledge", {}, 422, "staff"),
    "acknowledge naming two people": (
        "POST",
        "/api/v1/alerts/{a_alert}/acknowledge",
        {"staff_email": "asha.okafor@riverside.example.nhs.uk", "staff_id": 1},
        422,
        "staff",
    ),
    "acknowledge as someone of another trust": (
        "POST",
        "/api/v1/alerts/{a_alert}/acknowledge",
        {"staff_email": "asha.okafor@hillside.example.nhs.uk"},
        422,
        "staff",
    ),
    "acknowledge another trust's alert": (
        "POST",
        "/api/v1/alerts/{b_alert}/acknowledge",
        {"staff_email": "asha.okafor@riverside.example.nhs.uk"},
        404,
        "no such alert",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_api_input_gets_a_clear_4xx_and_changes_nothing(
    api: tuple[TestClient, World], case: str
) -> None:
    client, world = api
    method, path, body, status, words = CASES[case]
    path = path.format(
        a_patient=world.a.patient_id,
        b_patient=world.b.patient_id,
        a_alert=world.a.alert_id,
        b_alert=world.b.alert_id,
    )
    before = database_digest()
    headers = bearer(world.a.token)
    if isinstance(body, str):
        response = client.request(
            method, path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert words.lower() in response.text.lower(), response.text
    assert database_digest() == before


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}],
    ids=["no token", "unknown token", "not a bearer token"],
)
def test_an_api_call_without_a_valid_token_is_401_and_changes_nothing(
    api: tuple[TestClient, World], headers: dict[str, str]
) -> None:
    client, _ = api
    before = database_digest()
    response = client.post("/api/v1/patients", json=GOOD_PATIENT, headers=headers)
    assert response.status_code == 401
    assert database_digest() == before
