"""Welsh and bilingual messages as they are sent: the recorded choice, the bilingual form where
there is none, and a Welsh reply answered in Welsh."""

from __future__ import annotations

from sqlalchemy import select

from pathway import audit
from pathway.enrolment import enrol as enrol_patient_row
from pathway.enrolment import parse_patient
from pathway.intake import store_inbound
from pathway.replies import handle_inbound
from schema.db import session_scope
from schema.models import Channel, OutboundMessage, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from testing.fake_twilio import FakeTwilio
from tests.nhs.conftest import enrol_patient, messages_of, patient, send_due

WELSH_WELCOME = "Helo Ann, eich tim yn yr ysbyty sydd yma."
ENGLISH_WELCOME = "Hello Ann, this is your hospital team."
NHS = "9434765919"


def enrol(language: str) -> int:
    """The welcome-only patient Ann, with this recorded language ("" records none)."""
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        config = trust_config(trust)
        row = {
            "nhs_number": NHS,
            "given_name": "Ann",
            "family_name": "Example",
            "phone": "07700 900123",
            "cohort": "welcome_only",
            "language": language,
        }
        checked = parse_patient(row, config)
        return int(
            enrol_patient_row(session, trust, config, checked, actor=audit.CLI, now=utcnow()).id
        )


def sms_body(fake: FakeTwilio) -> str:
    (message,) = fake.messages
    return message.body


def test_a_patient_who_chose_welsh_is_texted_in_welsh(trust: int, fake_twilio: FakeTwilio) -> None:
    enrol("cy")
    assert send_due() == ["sent"]
    body = sms_body(fake_twilio)
    assert body.startswith(WELSH_WELCOME)
    assert ENGLISH_WELCOME not in body


def test_a_patient_who_chose_english_is_texted_in_english(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    enrol("en")
    assert send_due() == ["sent"]
    body = sms_body(fake_twilio)
    assert body.startswith(ENGLISH_WELCOME) and "Helo" not in body


def test_with_no_recorded_choice_a_trust_serving_welsh_texts_bilingually_welsh_first(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    patient_id = enrol_patient(NHS)
    assert patient(patient_id).language is None
    assert send_due() == ["sent"]
    body = sms_body(fake_twilio)
    assert body.startswith(WELSH_WELCOME)
    assert body.index(ENGLISH_WELCOME) > body.index("Peidiwch ag aros")
    (sms,) = [m for m in messages_of(patient_id) if m.channel == Channel.SMS]
    assert sms.encoding == "GSM-7" and sms.segments is not None and sms.segments <= 9


def test_with_no_recorded_choice_a_trust_not_serving_welsh_texts_in_english(
    english_only_trust: int, fake_twilio: FakeTwilio
) -> None:
    enrol_patient(NHS)
    assert send_due() == ["sent"]
    assert sms_body(fake_twilio).startswith(ENGLISH_WELCOME)


def reply(body: str, sid: str) -> list[OutboundMessage]:
    now = utcnow()
    with session_scope() as session:
        inbound_id = store_inbound(
            session, sid=sid, sender="+447700900123", to="+447700900000", body=body, now=now
        )
        assert inbound_id is not None
        handle_inbound(session, inbound_id, now)
        rows = list(
            session.scalars(
                select(OutboundMessage).where(OutboundMessage.inbound_message_id == inbound_id)
            )
        )
        for row in rows:
            session.expunge(row)
        return [r for r in rows if r.staff_member_id is None]


def test_a_welsh_red_reply_gets_the_urgent_advice_in_welsh_even_from_an_english_choice(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    enrol("en")
    assert send_due() == ["sent"]
    (advice,) = reply("Mae fy nghoesau yn wan iawn ers bore ma", "SM" + "a" * 32)
    assert (advice.template_key, advice.language) == ("urgent_advice", "cy")
    send_due()
    body = fake_twilio.messages[-1].body
    assert body.startswith("Diolch am eich neges. Ffoniwch 0113 496 0001 NAWR")
    assert "Thank you" not in body


def test_an_english_reply_is_answered_in_the_patients_own_choice(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    enrol("cy")
    assert send_due() == ["sent"]
    (advice,) = reply("my legs keep giving way", "SM" + "b" * 32)
    assert (advice.template_key, advice.language) == ("urgent_advice", None)
    send_due()
    assert fake_twilio.messages[-1].body.startswith("Diolch am eich neges.")


def test_a_sender_we_do_not_know_is_answered_bilingually_by_a_trust_serving_welsh(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    now = utcnow()
    with session_scope() as session:
        inbound_id = store_inbound(
            session,
            sid="SM" + "c" * 32,
            sender="+447700900999",
            to="+447700900000",
            body="who is this?",
            now=now,
        )
        assert inbound_id is not None
        handle_inbound(session, inbound_id, now)
    assert send_due() == ["sent"]
    body = sms_body(fake_twilio)
    # read like anyone's reply (issue 12): an unclear one is acknowledged, Welsh first
    assert body.startswith("Diolch, mae eich neges wedi cyrraedd.")
    assert body.index("Thank you, we have your message.") > body.index("Diolch")
