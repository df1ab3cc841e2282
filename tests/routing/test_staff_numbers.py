"""Staff and patient numbers (issue 12, item 3): enrolment and CSV import refuse a patient phone
that is a staff member's unless told it is shared; a non-ACK text from a shared number is the
patient's, and an ACK from it is still the staff member's."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit, replies
from pathway.enrolment import ImportRejected, PatientInputError, enrol, parse_patient, read_import
from schema.models import Alert, AlertState, InboundMessage, Patient, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from schema.vocabulary import Label, SenderKind
from tests.routing.helpers import store_reply

ASHA = "+447700900101"  # a coordinator of the example trust
ROW = {
    "nhs_number": "999 000 0018",
    "given_name": "Margaret",
    "family_name": "Hughes",
    "phone": "07700 900101",
    "email": "",
    "cohort": "spinal_mets",
}


def enrol_on_ashas_phone(session: Session, trust: Trust, *, allow: bool) -> Patient:
    config = trust_config(trust)
    patient = enrol(
        session,
        trust,
        config,
        parse_patient(ROW, config),
        actor=audit.CLI,
        now=utcnow(),
        allow_staff_number=allow,
    )
    session.commit()
    return patient


def test_enrolment_refuses_a_staff_members_phone_naming_the_field(
    session: Session, trust: Trust
) -> None:
    with pytest.raises(PatientInputError) as refused:
        enrol_on_ashas_phone(session, trust, allow=False)
    assert refused.value.reasons[0].startswith("phone: this is a staff member's number")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_a_csv_import_refuses_a_staff_members_phone_by_its_line_and_imports_nobody(
    session: Session, trust: Trust
) -> None:
    text = (
        "nhs_number,given_name,family_name,phone,cohort\n"
        "9434765919,Ann,Example,07700 900299,spinal_mets\n"
        "999 000 0018,Margaret,Hughes,07700 900101,spinal_mets\n"
    )
    config = trust_config(trust)
    with pytest.raises(ImportRejected) as rejected:
        read_import(session, trust, config, text)
    assert [str(e) for e in rejected.value.errors] == [
        "line 3: phone: this is a staff member's number; enrol with allow_staff_number "
        "(--allow-staff-number) if the patient really shares it"
    ]
    assert len(read_import(session, trust, config, text, allow_staff_number=True)) == 2


def test_a_non_ack_text_from_a_number_both_staff_and_patient_is_triaged_as_the_patients(
    session: Session, trust: Trust
) -> None:
    patient = enrol_on_ashas_phone(session, trust, allow=True)
    inbound_id = store_reply(session, trust.id, ASHA, "my legs have gone weak and numb")
    replies.handle_inbound(session, inbound_id, utcnow())
    session.commit()
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None
    assert inbound.sender_kind == SenderKind.PATIENT
    assert inbound.patient_id == patient.id
    assert inbound.label == Label.RED
    alert = session.scalars(select(Alert)).one()
    assert alert.patient_id == patient.id


def test_an_ack_from_a_shared_number_is_still_the_staff_members(
    session: Session, trust: Trust
) -> None:
    enrol_on_ashas_phone(session, trust, allow=True)
    red = store_reply(session, trust.id, ASHA, "my legs have gone weak and numb")
    replies.handle_inbound(session, red, utcnow())
    session.commit()
    alert = session.scalars(select(Alert)).one()
    ack = store_reply(session, trust.id, ASHA, f"ACK {alert.code}")
    replies.handle_inbound(session, ack, utcnow())
    session.commit()
    inbound = session.get(InboundMessage, ack)
    assert inbound is not None and inbound.sender_kind == SenderKind.STAFF
    session.refresh(alert)
    assert alert.state == AlertState.ACKNOWLEDGED


def test_a_lone_word_like_numb_from_a_shared_number_is_triaged_not_taken_for_an_ack(
    session: Session, trust: Trust
) -> None:
    patient = enrol_on_ashas_phone(session, trust, allow=True)
    inbound_id = store_reply(session, trust.id, ASHA, "numb")
    replies.handle_inbound(session, inbound_id, utcnow())
    session.commit()
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None
    assert inbound.sender_kind == SenderKind.PATIENT and inbound.patient_id == patient.id
    assert inbound.label != Label.NONE
