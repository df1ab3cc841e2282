import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema import audit
from schema import patients as ops
from schema.config_file import ConfigError, LoadedConfig, parse_config_text, read_config_file
from schema.models import (
    AuditEvent,
    MessageState,
    OutboundMessage,
    Patient,
    PatientStatus,
    StaffMember,
    Trust,
    TrustConfigVersion,
)
from schema.patients import ImportRejected, PatientInputError, enrol, parse_patient, read_import
from schema.trusts import load_trust, trust_config
from schema.types import utcnow
from tests.conftest import EXAMPLE_PATIENTS, EXAMPLE_TRUST

LONDON_WINDOW = (9, 20)


def margaret(**changes: str) -> dict[str, str]:
    row = {
        "nhs_number": "999 000 0018",
        "given_name": "Margaret",
        "family_name": "Hughes",
        "phone": "07700 900201",
        "email": "margaret@example.com",
        "cohort": "spinal_mets",
    }
    row.update(changes)
    return row


def enrol_margaret(session: Session, trust: Trust, **changes: str) -> Patient:
    config = trust_config(trust)
    patient = enrol(
        session,
        trust,
        config,
        parse_patient(margaret(**changes), config),
        actor=audit.CLI,
        now=utcnow(),
    )
    session.commit()
    return patient


def scheduled(session: Session, patient: Patient) -> list[OutboundMessage]:
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.patient_id == patient.id, OutboundMessage.state == "scheduled")
            .order_by(OutboundMessage.due_at)
        )
    )


def test_enrolment_plans_the_cohort_schedule_inside_the_send_window(
    session: Session, trust: Trust
) -> None:
    patient = enrol_margaret(session, trust)
    messages = scheduled(session, patient)
    # spinal_mets: welcome by SMS and email, then a weekly check-in from day 3 to week 52.
    assert [m.template_key for m in messages[:3]] == ["welcome", "welcome", "checkin"]
    assert len(messages) == 2 + 52
    for message in messages:
        local = message.due_at.astimezone(trust_config(trust).zone)
        assert LONDON_WINDOW[0] <= local.hour < LONDON_WINDOW[1]
    assert {m.to_address for m in messages} == {"+447700900201", "margaret@example.com"}
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "patient.enrolled", AuditEvent.subject_id == patient.id)
        )
        == 1
    )


def test_a_patient_without_email_gets_sms_only(session: Session, trust: Trust) -> None:
    patient = enrol_margaret(session, trust, email="")
    assert {m.channel for m in scheduled(session, patient)} == {"sms"}


def test_enrolling_the_same_nhs_number_twice_is_refused(session: Session, trust: Trust) -> None:
    enrol_margaret(session, trust)
    with pytest.raises(PatientInputError, match="already enrolled"):
        enrol_margaret(session, trust)


def test_a_bad_patient_gets_every_reason_at_once(trust: Trust) -> None:
    with pytest.raises(PatientInputError) as caught:
        parse_patient(
            margaret(nhs_number="1234", phone="0113 496 0001", cohort="nope"), trust_config(trust)
        )
    reasons = caught.value.reasons
    assert len(reasons) == 3
    assert any(r.startswith("nhs_number:") for r in reasons)
    assert any(r.startswith("phone:") and "mobile" in r for r in reasons)
    assert any(r.startswith("cohort:") for r in reasons)


def test_the_example_csv_imports_every_patient(session: Session, trust: Trust) -> None:
    rows = read_import(session, trust, trust_config(trust), EXAMPLE_PATIENTS.read_text())
    assert len(rows) == 6


def test_a_csv_with_bad_rows_lists_every_one_by_line_and_imports_nothing(
    session: Session, trust: Trust
) -> None:
    text = EXAMPLE_PATIENTS.read_text() + (
        '9990000077,"Two\nLines",Jones,07700 900210,,spinal_mets,en\n'
        "123,Bad,Row,0113 496 0001,not-an-email,nope,en\n"
        "9990000018,Again,Hughes,07700 900211,,spinal_mets,en\n"
        "9990000085,Too,Many,07700 900212,,spinal_mets,en,extra\n"
    )
    with pytest.raises(ImportRejected) as caught:
        read_import(session, trust, trust_config(trust), text)
    lines = {error.line: error.reasons for error in caught.value.errors}
    assert sorted(lines) == [10, 11, 12]  # the two-line row (8-9) is good
    assert len(lines[10]) == 4
    assert lines[11] == ["nhs_number: repeats line 2"]
    assert "expected 7" in lines[12][0]
    assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_a_csv_with_a_missing_column_is_refused(session: Session, trust: Trust) -> None:
    with pytest.raises(ImportRejected, match="missing column 'cohort'"):
        read_import(
            session, trust, trust_config(trust), "nhs_number,given_name,family_name,phone\n"
        )


def test_discharge_cancels_planned_messages(session: Session, trust: Trust) -> None:
    patient = enrol_margaret(session, trust)
    ops.discharge(session, patient, now=utcnow(), actor=audit.CLI)
    session.commit()
    assert scheduled(session, patient) == []
    assert patient.status == PatientStatus.DISCHARGED


def test_opting_out_cancels_everything_and_opting_in_plans_again(
    session: Session, trust: Trust
) -> None:
    patient = enrol_margaret(session, trust)
    assert ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="sms")
    session.commit()
    assert scheduled(session, patient) == []
    assert not ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="sms")
    ops.opt_in(session, patient, trust_config(trust), now=utcnow(), actor=audit.CLI, via="sms")
    session.commit()
    assert len(scheduled(session, patient)) > 0
    assert patient.plan_generation == 1


def test_resuming_a_paused_patient_plans_only_the_future(session: Session, trust: Trust) -> None:
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), tick=False):
        patient = enrol_margaret(session, trust)
        ops.pause(session, patient, now=utcnow(), actor=audit.CLI)
        session.commit()
    with time_machine.travel(datetime(2026, 6, 20, 10, 0, tzinfo=UTC), tick=False):
        ops.resume(session, patient, trust_config(trust), now=utcnow(), actor=audit.CLI)
        session.commit()
        remaining = scheduled(session, patient)
        assert remaining and all(m.due_at >= utcnow() for m in remaining)
        assert all(m.idempotency_key.startswith(f"plan:{patient.id}:g1:") for m in remaining)


def test_loading_a_new_configuration_keeps_history_and_replans_patients(
    session: Session, trust: Trust
) -> None:
    patient = enrol_margaret(session, trust)
    text = EXAMPLE_TRUST.read_text().replace(
        "offset: 3d\n        every: 7d", "offset: 3d\n        every: 14d"
    )
    changed = LoadedConfig(parse_config_text(text), text, "different-sha")
    result = load_trust(session, changed, actor=audit.CLI, now=utcnow())
    session.commit()
    assert result.version == 2 and result.replanned == 1
    versions = session.scalars(
        select(TrustConfigVersion.version)
        .where(TrustConfigVersion.trust_id == trust.id)
        .order_by(TrustConfigVersion.version)
    ).all()
    assert versions == [1, 2]
    checkins = [m for m in scheduled(session, patient) if m.template_key == "checkin"]
    gaps = {b.due_at - a.due_at for a, b in itertools.pairwise(checkins)}
    assert all(timedelta(days=13) < gap < timedelta(days=15) for gap in gaps)
    cancelled = session.scalar(
        select(func.count())
        .select_from(OutboundMessage)
        .where(OutboundMessage.state == MessageState.CANCELLED)
    )
    assert cancelled and cancelled > 0


def test_loading_the_same_file_twice_makes_no_new_version(session: Session, trust: Trust) -> None:
    result = load_trust(session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow())
    assert result.unchanged and result.version == 1


def test_a_configuration_that_drops_a_cohort_in_use_is_refused(
    session: Session, trust: Trust
) -> None:
    enrol_margaret(session, trust)
    config = trust_config(trust)
    kept = config.model_copy(
        update={"cohorts": [c for c in config.cohorts if c.key != "spinal_mets"]}
    )
    with pytest.raises(ConfigError, match="spinal_mets"):
        load_trust(session, LoadedConfig(kept, "", "sha"), actor=audit.CLI, now=utcnow())


def test_staff_dropped_from_the_configuration_are_deactivated(
    session: Session, trust: Trust
) -> None:
    text = EXAMPLE_TRUST.read_text()
    admin_block = text[text.index("  - key: admin") : text.index("escalation:")]
    text = text.replace(admin_block, "\n")
    load_trust(
        session, LoadedConfig(parse_config_text(text), text, "sha2"), actor=audit.CLI, now=utcnow()
    )
    session.commit()
    active = dict(session.execute(select(StaffMember.key, StaffMember.active)).all())
    assert active == {"asha": True, "ben": True, "duty_consultant": True, "admin": False}
