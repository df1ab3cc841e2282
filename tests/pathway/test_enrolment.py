import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.enrolment import (
    ImportRejected,
    PatientInputError,
    enrol,
    parse_patient,
    read_import,
)
from schema.models import (
    AuditEvent,
    OutboundMessage,
    Patient,
    Trust,
)
from schema.trusts import trust_config
from schema.types import utcnow
from tests.conftest import EXAMPLE_PATIENTS

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
