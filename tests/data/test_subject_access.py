"""Subject-access export (issue 17 item 2): every row about the patient, no row about anyone
else, as JSON and readable HTML, from the CLI and the admin page; audited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import and_, or_, select
from typer.testing import CliRunner

from cli.main import app as cli
from pathway import audit, subject_access
from schema.db import session_scope
from schema.models import (
    Alert,
    AlertNotification,
    AuditEvent,
    InboundMessage,
    OutboundMessage,
    Patient,
    PatientNotice,
    Trust,
)
from schema.types import utcnow
from tests.web.conftest import (
    World,
    app,
    build_world,
    enrol_patient,
    red_alert,
    reply,
    signed_in,
)

__all__ = ["app"]  # the web tests' fixtures, used here

NEIGHBOUR_NHS = "4010232137"
NEIGHBOUR_SAID = "my back hurts and my feet are numb"


@pytest.fixture
def world(database_url: str) -> World:
    """Two trusts, and a neighbour of trust A's patient in the same trust with a story of their
    own: an alert, a reply on the review list."""
    built = build_world()
    with session_scope() as session:
        trust = session.get(Trust, built.a.trust_id)
        assert trust is not None
        neighbour = enrol_patient(session, trust, NEIGHBOUR_NHS, "+447700900303")
        red_alert(session, trust, neighbour, NEIGHBOUR_SAID)
        reply(session, trust, neighbour, "who do I ring about transport?", "unclear")
    return built


def ids_about(patient_id: int) -> dict[str, set[int]]:
    """Every row about the patient, found independently of the export."""
    with session_scope() as session:
        outbound = set(
            session.scalars(
                select(OutboundMessage.id).where(OutboundMessage.patient_id == patient_id)
            )
        )
        inbound = set(
            session.scalars(
                select(InboundMessage.id).where(InboundMessage.patient_id == patient_id)
            )
        )
        alerts = set(session.scalars(select(Alert.id).where(Alert.patient_id == patient_id)))
        notices = set(
            session.scalars(select(PatientNotice.id).where(PatientNotice.patient_id == patient_id))
        )
        notifications = set(
            session.scalars(
                select(AlertNotification.id).where(AlertNotification.alert_id.in_(alerts))
            )
        )
        subjects = [
            ("patient", {patient_id}),
            ("outbound_message", outbound),
            ("inbound_message", inbound),
            ("alert", alerts),
            ("patient_notice", notices),
        ]
        events = set(
            session.scalars(
                select(AuditEvent.id).where(
                    or_(
                        *(
                            and_(AuditEvent.subject_type == kind, AuditEvent.subject_id.in_(ids))
                            for kind, ids in subjects
                        ),
                        AuditEvent.actor == audit.patient_actor(patient_id),
                    )
                )
            )
        )
    return {
        "messages_sent": outbound,
        "messages_received": inbound,
        "alerts": alerts,
        "notices": notices,
        "notifications": notifications,
        "audit_events": events,
    }


def ids_in(document: dict[str, Any]) -> dict[str, set[int]]:
    sections = ("messages_sent", "messages_received", "alerts", "notices", "audit_events")
    found = {key: {row["id"] for row in document[key]} for key in sections}
    found["notifications"] = {n["id"] for a in document["alerts"] for n in a["notifications"]}
    return found


def export(patient_id: int) -> dict[str, Any]:
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        return subject_access.export(session, patient, actor=audit.CLI, now=utcnow())


def test_an_export_holds_every_row_about_the_patient_and_none_about_anyone_else(
    world: World,
) -> None:
    document = export(world.a.patient_id)
    with session_scope() as session:
        neighbour = session.scalars(
            select(Patient.id).where(Patient.nhs_number == NEIGHBOUR_NHS)
        ).one()
    mine, theirs = ids_about(world.a.patient_id), ids_about(neighbour)
    assert ids_in(document) == mine
    assert all(mine[key] for key in ("messages_sent", "messages_received", "alerts", "notices"))
    for key, ids in theirs.items():
        assert not (ids & ids_in(document)[key]), key
    other_trust = ids_about(world.b.patient_id)
    for key, ids in other_trust.items():
        assert not (ids & ids_in(document)[key]), key
    text = json.dumps(document)
    assert world.a.said in text and world.a.nhs_number in text
    for stranger in (
        NEIGHBOUR_NHS,
        NEIGHBOUR_SAID,
        world.b.nhs_number,
        world.b.said,
        "+447700900303",
    ):
        assert stranger not in text
    assert document["patient"]["id"] == world.a.patient_id


def test_staff_addresses_are_left_out_and_staff_are_named(world: World) -> None:
    document = export(world.a.patient_id)
    to_staff = [m for m in document["messages_sent"] if m["staff_member_id"] is not None]
    assert to_staff and all("to_address" not in m for m in to_staff)
    assert all(m["recipient"].startswith("staff: ") for m in to_staff)


def test_exporting_is_audited_and_the_event_is_in_the_export(world: World) -> None:
    document = export(world.a.patient_id)
    exported = [e for e in document["audit_events"] if e["action"] == "patient.exported"]
    assert [(e["subject_id"], e["actor"]) for e in exported] == [(world.a.patient_id, "cli")]


def test_the_cli_writes_the_json_and_a_readable_html_copy(world: World, tmp_path: Path) -> None:
    out, html = tmp_path / "export.json", tmp_path / "export.html"
    result = CliRunner().invoke(
        cli,
        ["patients", "export", world.a.nhs_number, "--trust", world.a.code,
         "--out", str(out), "--html", str(html)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert ids_in(document) == ids_about(world.a.patient_id)
    page = html.read_text()
    assert "<h2>Messages received (2)</h2>" in page and world.a.said in page
    assert NEIGHBOUR_SAID not in page


def test_an_admin_exports_from_the_patient_page_and_a_coordinator_cannot(
    world: World, app: FastAPI
) -> None:
    admin = signed_in(app, world.a.admin)
    page = admin.get(f"/patients/{world.a.patient_id}")
    assert f"/patients/{world.a.patient_id}/export.json" in page.text
    download = admin.get(f"/patients/{world.a.patient_id}/export.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert ids_in(download.json()) == ids_about(world.a.patient_id)
    readable = admin.get(f"/patients/{world.a.patient_id}/export.html")
    assert readable.status_code == 200 and world.a.said in readable.text
    coordinator = signed_in(app, world.a.coordinator)
    assert coordinator.get(f"/patients/{world.a.patient_id}/export.json").status_code == 403
    assert admin.get(f"/patients/{world.b.patient_id}/export.json").status_code == 404
