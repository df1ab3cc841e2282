"""What coordinators see of PDS and the trust's systems: a restricted record shows no contact
details anywhere (pages, API, staff messages); a death shows as a badge and a notice; a notice is
confirmed or dismissed from the patient's page, and a refused decision changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from messages.rendering import render
from messages.template_context import AlertFacts, build_context
from pathway.pds_checks import died, mark_restricted
from schema.db import session_scope
from schema.models import Patient, PatientNotice, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from tests.nhs.conftest import row_counts
from tests.web.conftest import (
    Staff,
    World,
    bearer,
    build_world,
    signed_in,
)
from web.app import create_app
from web.auth.signin import SignInPolicy

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def world(sqlite_url: str) -> World:
    return build_world()


@pytest.fixture
def app() -> FastAPI:
    application = create_app()
    application.state.sign_in_policy = SignInPolicy(failure_delay_seconds=0)
    return application


@pytest.fixture
def coordinator(world: World, app: FastAPI) -> Iterator[Staff]:
    staff = signed_in(app, world.a.coordinator)
    yield staff
    staff.client.close()


def change(patient_id: int, what: str) -> None:
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        if what == "restricted":
            patient.email = "ann@example.com"
            mark_restricted(session, patient, source="pds", now=utcnow())
        else:
            died(session, patient, source="pds", detail="formal notice", now=utcnow())


def test_a_restricted_record_shows_no_contact_details_on_any_page_or_in_the_api(
    world: World, coordinator: Staff
) -> None:
    for path in (f"/patients/{world.a.patient_id}", f"/alerts/{world.a.alert_id}", "/"):
        assert "07700 900301" in coordinator.get(path).text  # the control: shown until restricted
    change(world.a.patient_id, "restricted")
    shown_phone = ("07700 900301", "+447700900301", "900301")
    pages = (
        "/",
        "/patients",
        f"/patients/{world.a.patient_id}",
        f"/patients/{world.a.patient_id}/audit",
        "/alerts",
        f"/alerts/{world.a.alert_id}",
        f"/alerts/{world.a.alert_id}/audit",
        "/reports/monthly",
        "/reports/monthly.csv",
    )
    for path in pages:
        page = coordinator.get(path).text
        for secret in (*shown_phone, "ann@example.com"):
            assert secret not in page, f"{path} shows {secret}"
    page = coordinator.get(f"/patients/{world.a.patient_id}").text
    assert "withheld: restricted record" in page and "tag--restricted" in page
    api = coordinator.client.get(
        f"/api/v1/patients/{world.a.patient_id}", headers=bearer(world.a.token)
    ).json()
    assert (api["phone"], api["email"], api["restricted"]) == (None, None, True)
    alerts = coordinator.client.get("/api/v1/alerts", headers=bearer(world.a.token)).text
    assert not any(secret in alerts for secret in shown_phone)


def test_a_restricted_patients_alert_to_staff_withholds_the_number(world: World) -> None:
    change(world.a.patient_id, "restricted")
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        trust = session.get(Trust, world.a.trust_id)
        assert patient is not None and trust is not None
        context = build_context(
            trust_config(trust), patient=patient, alert=AlertFacts(code="K7QX", level="red")
        )
    for channel in ("sms", "email"):
        text = render("coordinator_alert", channel, context, "en").text
        assert "900301" not in text and "withheld (restricted record" in text


def test_a_death_shows_as_a_badge_and_a_notice_that_can_only_be_marked_seen(
    world: World, coordinator: Staff
) -> None:
    change(world.a.patient_id, "deceased")
    listing = coordinator.get("/patients").text
    assert "tag--deceased" in listing
    queue = coordinator.get("/").text
    assert "Recorded as deceased" in queue
    page = coordinator.get(f"/patients/{world.a.patient_id}").text
    assert "Recorded as deceased" in page and "Mark as seen" in page
    with session_scope() as session:
        notice_id = session.scalars(
            select(PatientNotice.id).where(
                PatientNotice.patient_id == world.a.patient_id, PatientNotice.kind == "deceased"
            )
        ).one()
    before = row_counts()
    refused = coordinator.post(f"/patients/{world.a.patient_id}/notices/{notice_id}/dismiss")
    assert refused.status_code == 409 and "can only be marked as seen" in refused.text
    assert row_counts() == before
    seen = coordinator.post(f"/patients/{world.a.patient_id}/notices/{notice_id}/confirm")
    assert seen.status_code == 303
    with session_scope() as session:
        assert session.get(PatientNotice, notice_id).state == "confirmed"  # type: ignore[union-attr]


def test_a_coordinator_confirms_a_new_mobile_from_the_patient_page(
    world: World, coordinator: Staff
) -> None:
    page = coordinator.get(f"/patients/{world.a.patient_id}").text
    assert "A different mobile number" in page and "07700 900399" in page
    done = coordinator.post(f"/patients/{world.a.patient_id}/notices/{world.a.notice_id}/confirm")
    assert done.status_code == 303 and "done=notice-confirmed" in done.headers["location"]
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None and patient.phone_e164 == "+447700900399"
    again = coordinator.post(f"/patients/{world.a.patient_id}/notices/{world.a.notice_id}/confirm")
    assert again.status_code == 409 and "already confirmed" in again.text


def test_a_new_nhs_number_held_by_another_patient_is_refused_and_changes_nothing(
    world: World, coordinator: Staff
) -> None:
    with session_scope() as session:
        other = session.scalars(select(Patient).where(Patient.trust_id == world.a.trust_id)).one()
        clash = Patient(
            trust_id=other.trust_id,
            cohort=other.cohort,
            nhs_number="9990000042",
            given_name="Someone",
            family_name="Else",
            phone_e164="+447700900398",
        )
        session.add(clash)
        session.flush()
        session.add(
            PatientNotice(
                trust_id=other.trust_id,
                patient_id=other.id,
                kind="nhs_number_superseded",
                source="pds",
                dedupe_key="test-superseded",
                details={"nhs_number": "9990000042"},
            )
        )
        session.flush()
        notice_id = session.scalars(
            select(PatientNotice.id).where(PatientNotice.dedupe_key == "test-superseded")
        ).one()
    before = row_counts()
    refused = coordinator.post(f"/patients/{world.a.patient_id}/notices/{notice_id}/confirm")
    assert refused.status_code == 409
    assert "another patient of this trust has the new number" in refused.text
    assert row_counts() == before
    with session_scope() as session:
        assert session.get(Patient, world.a.patient_id).nhs_number == world.a.nhs_number  # type: ignore[union-attr]


def test_a_mobile_notice_for_a_restricted_record_withholds_the_number(
    world: World, coordinator: Staff
) -> None:
    change(world.a.patient_id, "restricted")
    page = coordinator.get(f"/patients/{world.a.patient_id}").text
    assert "07700 900399" not in page and "has the mobile withheld" in page
