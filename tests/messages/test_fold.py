from dataclasses import replace
from datetime import UTC, datetime

import pytest

from messages.rendering import render
from messages.sms import fold_to_gsm
from messages.template_context import AlertFacts, build_context
from schema.config_file import read_config_file
from schema.models import Patient
from tests.conftest import EXAMPLE_TRUST

CONFIG = read_config_file(EXAMPLE_TRUST).config


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("Siân", "Sian"),
        ("Łukasz Wróbel", "Lukasz Wrobel"),
        ("Zoë", "Zoe"),
        ("keep weeing myself 😞", "keep weeing myself "),
        ("Smart “quotes”", 'Smart "quotes"'),
        ("Renée Åsa Ñúñez", "Renée Åsa Ñuñez"),
    ],
)
def test_text_people_wrote_is_folded_to_gsm_7(written: str, sent: str) -> None:
    assert fold_to_gsm(written) == sent


def patient(given_name: str) -> Patient:
    return Patient(
        given_name=given_name,
        family_name="Pritchard",
        nhs_number="9990000034",
        phone_e164="+447700900203",
        cohort="high_risk",
    )


def test_a_name_with_a_non_gsm_letter_keeps_the_welcome_sms_in_gsm_7_and_its_budget() -> None:
    context = build_context(CONFIG, patient=patient("Siân"))
    sms = render("welcome", "sms", context).sms
    assert sms is not None
    assert sms.encoding == "GSM-7"
    assert sms.segments <= 4


def test_the_email_keeps_the_name_as_written() -> None:
    context = build_context(CONFIG, patient=patient("Siân"))
    assert "Siân" in render("welcome", "email", context).text


def test_an_emoji_in_a_reply_does_not_push_a_coordinator_alert_into_ucs_2() -> None:

    facts = AlertFacts(
        code="K7QX",
        level="red",
        symptoms=("bladder",),
        reply_excerpt="keep weeing myself, never had that before 😞",
        raised_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
    )
    context = build_context(CONFIG, patient=patient("Siân"), alert=facts)
    sms = render("coordinator_alert", "sms", context).sms
    assert sms is not None and sms.encoding == "GSM-7"
    assert "never had that before" in sms.text
    assert replace(facts).reply_excerpt.endswith("😞")
