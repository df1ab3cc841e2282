"""Every sender's reply is read (issue 12, item 2): an unknown number's red reply raises an alert
for the trust it was sent to, marked unknown sender; the sender is advised; a coordinator links
the number to a patient or records it as a carer's, whose texts are then reports about them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import contacts, replies
from schema.models import (
    Alert,
    AlertNotification,
    AuditEvent,
    InboundMessage,
    OutboundMessage,
    Patient,
    PatientContact,
    Queue,
    Trust,
)
from schema.types import utcnow
from schema.vocabulary import ContactKind, Label, MessageKind, ReviewState, SenderKind
from tests.routing.helpers import enrol_patient, store_reply

HUSBAND = "+447700900777"
RED = "this is Ann's husband, her legs have gone numb and she can't stand"


def handle(
    session: Session, trust: Trust, sender: str, body: str, at: datetime | None = None
) -> InboundMessage:
    inbound_id = store_reply(session, trust.id, sender, body)
    replies.handle_inbound(session, inbound_id, at or utcnow())
    session.commit()
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None
    return inbound


def answers_to(session: Session, number: str) -> list[OutboundMessage]:
    # addresses are encrypted at rest: the database cannot match them, so they are read here
    every = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
    return [message for message in every if message.to_address == number]


def test_a_red_reply_from_an_unknown_number_raises_an_unknown_sender_alert_for_the_trust(
    session: Session, trust: Trust
) -> None:
    inbound = handle(session, trust, HUSBAND, RED)
    alert = session.scalars(select(Alert)).one()
    assert alert.trust_id == trust.id
    assert alert.patient_id is None
    assert alert.sender_e164 == HUSBAND
    assert alert.level == Label.RED
    assert inbound.alert_id == alert.id
    assert inbound.sender_kind == SenderKind.UNKNOWN
    assert inbound.label == Label.RED
    notified = session.scalars(
        select(OutboundMessage)
        .join(AlertNotification, AlertNotification.outbound_message_id == OutboundMessage.id)
        .where(AlertNotification.alert_id == alert.id)
    ).all()
    assert notified and all(m.queue == Queue.ALERTS for m in notified)


def test_the_unknown_sender_gets_the_urgent_advice_with_the_24_hour_line_on_the_alerts_queue(
    session: Session, trust: Trust
) -> None:
    handle(session, trust, HUSBAND, RED)
    [answer] = answers_to(session, HUSBAND)
    assert answer.template_key == "urgent_advice"
    assert answer.queue == Queue.ALERTS
    assert answer.kind == MessageKind.UNKNOWN_SENDER


def test_a_second_red_from_the_same_unknown_number_joins_its_alert(
    session: Session, trust: Trust
) -> None:
    first = handle(session, trust, HUSBAND, RED)
    second = handle(session, trust, HUSBAND, "she still can't feel her legs")
    assert session.scalars(select(Alert.id)).all() == [first.alert_id]
    assert second.alert_id == first.alert_id


def test_an_unknown_number_gets_at_most_one_unsolicited_reply_a_day_but_a_red_always_its_advice(
    session: Session, trust: Trust
) -> None:
    now = utcnow()
    handle(session, trust, HUSBAND, "who is this?", now)
    handle(session, trust, HUSBAND, "hello??", now + timedelta(minutes=1))
    handle(session, trust, HUSBAND, RED, now + timedelta(minutes=2))
    handle(session, trust, HUSBAND, RED, now + timedelta(minutes=3))
    templates = [m.template_key for m in answers_to(session, HUSBAND)]
    assert templates.count("urgent_advice") == 1
    assert len(templates) == 2


def test_a_routine_unclear_reply_from_an_unknown_number_goes_on_the_review_list_without_an_alert(
    session: Session, trust: Trust
) -> None:
    inbound = handle(session, trust, HUSBAND, "can you tell me when the clinic opens?")
    assert inbound.label == Label.UNCLEAR
    assert inbound.review_state == ReviewState.OPEN
    assert inbound.review_due_at is not None
    assert session.scalars(select(Alert)).all() == []


def test_an_all_well_from_an_unknown_number_is_read_by_a_person(
    session: Session, trust: Trust
) -> None:
    inbound = handle(session, trust, HUSBAND, "all fine thanks")
    assert inbound.label == Label.NONE
    assert inbound.review_state == ReviewState.OPEN


def test_a_stop_from_an_unknown_number_is_answered_by_nobody(
    session: Session, trust: Trust
) -> None:
    handle(session, trust, HUSBAND, "STOP")
    assert answers_to(session, HUSBAND) == []


def test_linking_the_number_as_the_patients_new_phone_makes_the_alert_theirs(
    session: Session, trust: Trust
) -> None:
    patient = enrol_patient(session, trust)
    earlier = handle(session, trust, HUSBAND, "who is this?")
    inbound = handle(session, trust, HUSBAND, RED)
    contacts.link_number(
        session, inbound, patient, ContactKind.PATIENT, actor="staff:1", now=utcnow()
    )
    session.commit()
    alert = session.scalars(select(Alert)).one()
    assert alert.patient_id == patient.id
    assert inbound.patient_id == patient.id
    session.refresh(earlier)
    assert earlier.patient_id == patient.id  # on the patient's timeline too
    linked = session.scalars(select(AuditEvent).where(AuditEvent.action == "contact.linked")).one()
    assert linked.details["kind"] == "patient" and linked.details["alert_id"] == alert.id
    later = handle(session, trust, HUSBAND, "still numb")
    assert later.sender_kind == SenderKind.PATIENT
    assert later.patient_id == patient.id
    assert later.alert_id == alert.id


def test_a_carers_number_is_read_as_a_report_about_the_patient_and_the_carer_is_answered(
    session: Session, trust: Trust
) -> None:
    patient = enrol_patient(session, trust)
    first = handle(session, trust, HUSBAND, "who is this?")
    contacts.link_number(session, first, patient, ContactKind.CARER, actor="staff:1", now=utcnow())
    session.commit()
    report = handle(session, trust, HUSBAND, RED)
    assert report.sender_kind == SenderKind.CARER
    assert report.patient_id == patient.id
    assert report.evidence["reported_by"] == "carer"
    alert = session.scalars(select(Alert)).one()
    assert alert.patient_id == patient.id and report.alert_id == alert.id
    advice = [m for m in answers_to(session, HUSBAND) if m.template_key == "urgent_advice"]
    assert len(advice) == 1 and advice[0].patient_id is None


def test_a_carers_stop_does_not_opt_the_patient_out(session: Session, trust: Trust) -> None:
    patient = enrol_patient(session, trust)
    first = handle(session, trust, HUSBAND, "who is this?")
    contacts.link_number(session, first, patient, ContactKind.CARER, actor="staff:1", now=utcnow())
    session.commit()
    handle(session, trust, HUSBAND, "STOP")
    session.refresh(patient)
    assert patient.opted_out_at is None


def test_a_number_already_a_patients_cannot_be_linked_again(session: Session, trust: Trust) -> None:
    patient = enrol_patient(session, trust)
    other = enrol_patient(session, trust, phone="07700 900202", nhs="999 000 0026")
    inbound = handle(session, trust, HUSBAND, "who is this?")
    contacts.link_number(
        session, inbound, patient, ContactKind.CARER, actor="staff:1", now=utcnow()
    )
    session.commit()
    with pytest.raises(contacts.ContactError, match="already linked"):
        contacts.link_number(
            session, inbound, other, ContactKind.CARER, actor="staff:1", now=utcnow()
        )
    assert session.scalars(select(PatientContact.patient_id)).all() == [patient.id]
    assert session.get(Patient, other.id) is not None
