"""The template context: display forms, local times, plain words, JSON only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from messages.template_context import AlertFacts, build_context, describe_symptom, symptom_words
from schema.models import Patient, StaffMember
from schema.trust_config import TrustConfig

PATIENT = Patient(
    given_name="Ann",
    family_name="Example",
    nhs_number="9434765919",
    phone_e164="+447700900299",
)
SUMMER = datetime(2025, 6, 2, 13, 5, tzinfo=UTC)
WINTER = datetime(2025, 1, 6, 13, 5, tzinfo=UTC)
NAMED_BY_TRIAGE = [
    "limb_weakness",
    "bladder",
    "radicular_pain",
    "saddle_numbness",
    "neck_pain",
    "night_pain",
    "straining_pain",
    "upper_back_pain",
    "progressive_low_back_pain",
    "limb_numbness",
    "bowel",
    "back_pain",
    "spinal_tenderness",
]


def alert(**changes: object) -> AlertFacts:
    facts: dict[str, object] = {
        "code": "K7P2Q",
        "level": "red",
        "symptoms": ("limb_weakness", "bladder"),
        "reply_excerpt": "legs  weak\nsince\tyesterday",
        "raised_at": SUMMER,
        "step": 2,
    }
    facts.update(changes)
    return AlertFacts(**facts)  # type: ignore[arg-type]


def test_the_context_is_json_serialisable_and_survives_a_round_trip(config: TrustConfig) -> None:
    context = build_context(
        config,
        patient=PATIENT,
        staff=StaffMember(name="Asha Okafor"),
        alert=alert(acknowledged_by_name="Asha Okafor", acknowledged_at=SUMMER),
        dashboard_url="https://safetynet.example",
        failed_messages=3,
    )
    assert json.loads(json.dumps(context)) == context


def test_contacts_are_shown_as_a_uk_reader_writes_them(config: TrustConfig) -> None:
    context = build_context(config)
    assert context["contacts"] == {
        "mscc_coordinator": "0113 496 0001",
        "acute_oncology": "0113 496 0002",
        "out_of_hours": "0113 496 0003",
    }
    assert context["reply_number"] == "07700 900000"


def test_the_patient_is_shown_with_a_spaced_nhs_number_and_a_readable_phone(
    config: TrustConfig,
) -> None:
    patient = build_context(config, patient=PATIENT)["patient"]
    assert patient == {
        "id": None,  # not stored yet; a stored patient's id makes the link to their page
        "given_name": "Ann",
        "family_name": "Example",
        "name": "Ann Example",
        "nhs_number": "943 476 5919",
        "phone": "07700 900299",
    }


def test_absent_inputs_are_none_so_a_template_needing_them_fails_loudly(
    config: TrustConfig,
) -> None:
    context = build_context(config)
    assert context["patient"] is None
    assert context["staff"] is None
    assert context["alert"] is None
    assert context["dashboard_url"] is None


@pytest.mark.parametrize(
    ("moment", "shown"), [(SUMMER, "14:05 on Mon 2 Jun"), (WINTER, "13:05 on Mon 6 Jan")]
)
def test_alert_times_are_in_the_trusts_local_zone(
    config: TrustConfig, moment: datetime, shown: str
) -> None:
    context = build_context(config, alert=alert(raised_at=moment, acknowledged_at=moment))
    assert context["alert"]["raised_at"] == shown
    assert context["alert"]["acknowledged_at"] == shown


def test_a_naive_time_is_refused(config: TrustConfig) -> None:
    with pytest.raises(ValueError, match="naive"):
        build_context(config, alert=alert(raised_at=datetime(2025, 6, 2, 13, 5)))


def test_symptom_codes_become_plain_words_from_the_data_file(config: TrustConfig) -> None:
    context = build_context(config, alert=alert())
    assert context["alert"]["symptoms"] == ["limb weakness", "bladder problem"]


@pytest.mark.parametrize("code", NAMED_BY_TRIAGE)
def test_every_symptom_code_triage_names_has_words(code: str) -> None:
    assert code in symptom_words()


def test_an_unknown_symptom_code_is_shown_not_dropped() -> None:
    assert describe_symptom("foot_drop") == "foot drop"


def test_the_alert_level_is_shown_in_capitals_and_its_chain_length_is_known(
    config: TrustConfig,
) -> None:
    shown = build_context(config, alert=alert(level="amber"))["alert"]
    assert (shown["level"], shown["step"], shown["steps"]) == ("AMBER", 2, 2)


def test_an_unknown_alert_level_is_refused(config: TrustConfig) -> None:
    with pytest.raises(ValueError, match="red or amber"):
        build_context(config, alert=alert(level="green"))


def test_the_reply_excerpt_is_one_line(config: TrustConfig) -> None:
    assert build_context(config, alert=alert())["alert"]["reply_excerpt"] == (
        "legs weak since yesterday"
    )


def test_extra_values_are_passed_through_but_must_be_json(config: TrustConfig) -> None:
    assert build_context(config, failed_messages=3)["failed_messages"] == 3
    with pytest.raises(TypeError, match="JSON"):
        build_context(config, when=SUMMER)
