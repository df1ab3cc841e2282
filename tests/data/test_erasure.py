"""Erasure on request (issue 17 item 3, H22): identifiers and bodies blanked at once, planned
messages cancelled, audited, refused while an alert is open, and never undone by a later import."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from pathway import audit, erasure, subject_access
from pathway.acknowledgement import Resolution, resolve
from pathway.enrolment import PatientInputError, enrol, parse_patient
from pathway.intake import store_inbound
from pathway.replies import handle_inbound
from schema.db import session_scope
from schema.models import (
    Alert,
    AuditEvent,
    ErasureTombstone,
    InboundMessage,
    MessageState,
    Patient,
    PatientContact,
    StaffMember,
    Trust,
)
from schema.settings import reset_settings_cache
from schema.tombstones import nhs_number_hmac
from schema.trusts import trust_config
from schema.types import utcnow
from schema.vocabulary import ContactKind
from tests.web.conftest import World, app, build_world, signed_in

__all__ = ["app"]  # the web tests' fixtures, used here

REASON = "patient's written request of 1 Dec 2026; consent withdrawn"


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("IDENTIFIER_HMAC_KEY", "a test key, kept outside the database")
    reset_settings_cache()
    return build_world()


def resolve_alert(alert_id: int) -> None:
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        member = session.scalars(
            select(StaffMember).where(
                StaffMember.trust_id == alert.trust_id, StaffMember.key == "asha"
            )
        ).one()
        resolution = Resolution("advised_by_phone", "Advised by phone", "Rang Ann at home.", None)
        resolve(session, alert, member, resolution, now=utcnow())


def erase(patient_id: int) -> dict[str, int]:
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        return erasure.erase(session, patient, actor=audit.CLI, reason=REASON, now=utcnow())


def everything_of(patient_id: int) -> dict[str, Any]:
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        return subject_access.collect(session, patient)


def test_erasure_blanks_identifiers_and_bodies_at_once_and_cancels_planned_messages(
    world: World,
) -> None:
    resolve_alert(world.a.alert_id)
    before = everything_of(world.a.patient_id)
    planned = [m for m in before["messages_sent"] if m["state"] == MessageState.SCHEDULED]
    assert planned
    erase(world.a.patient_id)
    after = everything_of(world.a.patient_id)
    person = after["patient"]
    assert (person["given_name"], person["family_name"], person["phone_e164"]) == ("", "", "")
    assert person["email"] is None and person["erased_at"] is not None
    assert person["nhs_number"] == erasure.erased_nhs_number(world.a.patient_id)
    text = json.dumps(after)
    for identifier in (world.a.nhs_number, world.a.phone, "Ann", world.a.said, "Rang Ann"):
        assert identifier not in text
    assert {m["id"] for m in after["messages_sent"] if m["state"] == "cancelled"} >= {
        m["id"] for m in planned
    }
    assert all(
        m["body"] is None and m["to_address"] == ""
        for m in after["messages_sent"]
        if "to_address" in m
    )
    assert all(m["body"] == "" and m["evidence"] == {} for m in after["messages_received"])


def test_erasure_keeps_the_history_without_the_person(world: World) -> None:
    resolve_alert(world.a.alert_id)
    before = everything_of(world.a.patient_id)
    erase(world.a.patient_id)
    after = everything_of(world.a.patient_id)
    assert [
        (m["id"], m["label"], m["symptoms"], m["received_at"]) for m in after["messages_received"]
    ] == [
        (m["id"], m["label"], m["symptoms"], m["received_at"]) for m in before["messages_received"]
    ]
    (alert,) = after["alerts"]
    assert (alert["state"], alert["outcome"], alert["outcome_note"]) == (
        "resolved",
        "advised_by_phone",
        None,
    )
    events = [e for e in after["audit_events"] if e["action"] == erasure.ERASED_ACTION]
    assert [(e["actor"], e["details"]["reason"]) for e in events] == [("cli", REASON)]
    assert events[0]["details"]["counts"]["inbound_messages"] == 2
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1


def test_erasure_is_refused_while_an_alert_is_open_and_nothing_changes(world: World) -> None:
    before = everything_of(world.a.patient_id)
    with pytest.raises(PatientInputError, match="is not resolved"):
        erase(world.a.patient_id)
    assert everything_of(world.a.patient_id) == before


def test_an_erasure_cannot_be_undone_by_a_later_import_or_enrolment(
    world: World, tmp_path: Path
) -> None:
    resolve_alert(world.a.alert_id)
    erase(world.a.patient_id)
    csv = tmp_path / "patients.csv"
    csv.write_text(
        "nhs_number,given_name,family_name,phone,cohort\n"
        f"{world.a.nhs_number},Ann,Example,{world.a.phone},spinal_mets\n"
    )
    result = CliRunner().invoke(cli, ["patients", "import", str(csv), "--trust", world.a.code])
    assert result.exit_code != 0
    assert "line 2" in result.output and "erased at their request" in result.output
    with session_scope() as session:
        trust = session.get(Trust, world.a.trust_id)
        assert trust is not None
        config = trust_config(trust)
        row = {
            "nhs_number": world.a.nhs_number,
            "given_name": "Ann",
            "family_name": "Example",
            "phone": world.a.phone,
            "cohort": "spinal_mets",
        }
        with pytest.raises(PatientInputError, match="erased at their request"):
            enrol(session, trust, config, parse_patient(row, config), actor=audit.CLI, now=utcnow())
    with session_scope() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Patient)
            .where(Patient.nhs_number == world.a.nhs_number)
        )
        assert count == 0


def test_the_tombstone_is_a_keyed_hash_not_the_number_or_its_plain_hash(world: World) -> None:
    resolve_alert(world.a.alert_id)
    erase(world.a.patient_id)
    with session_scope() as session:
        (stone,) = session.scalars(select(ErasureTombstone))
        digest = stone.nhs_number_hmac
    assert digest == nhs_number_hmac(world.a.nhs_number)
    assert digest != hashlib.sha256(world.a.nhs_number.encode()).hexdigest()
    assert digest != nhs_number_hmac(world.a.nhs_number, b"another key")
    assert world.a.nhs_number not in digest


def test_a_text_from_an_erased_patients_number_reaches_no_record_of_them(world: World) -> None:
    resolve_alert(world.a.alert_id)
    erase(world.a.patient_id)
    now = utcnow()
    with session_scope() as session:
        inbound_id = store_inbound(
            session,
            sid="SM" + "e" * 32,
            sender=world.a.phone,
            to="+447700900000",
            body="my legs are weak again",
            now=now,
        )
        assert inbound_id is not None
        handle_inbound(session, inbound_id, now)
        inbound = session.get(InboundMessage, inbound_id)
        assert inbound is not None
        assert inbound.patient_id is None and inbound.sender_kind == "unknown"


def test_an_admin_erases_from_the_patient_page_and_a_coordinator_cannot(
    world: World, app: FastAPI
) -> None:
    resolve_alert(world.a.alert_id)
    path = f"/patients/{world.a.patient_id}/erase"
    coordinator = signed_in(app, world.a.coordinator)
    assert coordinator.post(path, {"confirm": "yes", "reason": REASON}).status_code == 403
    admin = signed_in(app, world.a.admin)
    unconfirmed = admin.post(path, {"reason": REASON})
    assert unconfirmed.status_code == 422 and "cannot be undone" in unconfirmed.text
    done = admin.post(path, {"confirm": "yes", "reason": REASON})
    assert done.status_code == 303
    page = admin.get(done.headers["location"])
    assert "(erased on request)" in page.text and "data is erased" in page.text
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None and patient.erased_at is not None
        actions = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == erasure.ERASED_ACTION)
        )
        assert [a.startswith("staff:") for a in actions] == [True]


def test_a_carers_number_is_exported_with_the_patient_and_gone_after_erasure(world: World) -> None:
    carer = "+447700900777"
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None
        session.add(
            PatientContact(
                trust_id=patient.trust_id,
                patient_id=patient.id,
                number_e164=carer,
                kind=ContactKind.CARER,
                created_by="test",
            )
        )
    exported = everything_of(world.a.patient_id)
    assert [c["number_e164"] for c in exported["contacts"]] == [carer]
    resolve_alert(world.a.alert_id)
    counts = erase(world.a.patient_id)
    assert counts["patient_contacts"] == 1
    assert carer not in json.dumps(everything_of(world.a.patient_id))
    with session_scope() as session:
        assert session.scalars(select(PatientContact)).all() == []
