"""The template registry: every key has its files, schedules are checked, budgets are enforced."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from messages.catalogue import (
    CATALOGUE,
    CHANNEL_FILES,
    TEMPLATE_DIR,
    missing_templates,
    variant,
)
from schema.config_file import parse_config_text
from schema.trust_config import TrustConfig
from tests.conftest import EXAMPLE_TRUST

EXPECTED_KEYS = {
    "welcome",
    "checkin",
    "urgent_advice",
    "same_day_advice",
    "unclear_ack",
    "thank_you",
    "help",
    "stop_confirmation",
    "start_confirmation",
    "unknown_sender",
    "coordinator_alert",
    "escalation_alert",
    "alert_taken",
    "ack_confirmation",
    "unresolved_reminder",
    "unreachable_patient",
    "ack_not_understood",
    "voice_alert",
    "voice_acknowledged",
    "voice_key_not_understood",
    "rota_gap",
    "writeback_failed",
    "review_due",
    "password_link",
}


def example_with(old: str, new: str) -> TrustConfig:
    text = EXAMPLE_TRUST.read_text()
    assert old in text
    return parse_config_text(text.replace(old, new))


def test_the_catalogue_has_exactly_the_agreed_keys() -> None:
    assert set(CATALOGUE) == EXPECTED_KEYS


@pytest.mark.parametrize("key", sorted(EXPECTED_KEYS))
def test_every_key_has_a_file_for_each_of_its_channels(key: str) -> None:
    for channel in CATALOGUE[key].channels:
        for name in CHANNEL_FILES[channel]:
            assert (TEMPLATE_DIR / key / name).is_file(), f"{key}/{name}"


def test_a_language_variant_is_named_before_the_suffix() -> None:
    assert variant("sms.txt.j2", "cy") == "sms.cy.txt.j2"
    assert variant("email.html.j2", "pl") == "email.pl.html.j2"
    assert variant("sms.txt.j2", "en") == "sms.txt.j2"


def test_the_example_trust_has_no_missing_templates(config: TrustConfig) -> None:
    assert missing_templates(config) == []


def test_missing_templates_finds_an_unknown_template_key() -> None:
    config = example_with(
        "template: checkin\n        offset: 7d", "template: fortnightly\n        offset: 7d"
    )
    problems = missing_templates(config)
    assert problems == [
        "fortnightly: no sms template (fortnightly/sms.txt.j2)",
    ]


def test_missing_templates_finds_a_channel_the_template_does_not_have() -> None:
    config = example_with(
        "template: checkin\n        offset: 7d\n        every: 14d\n        until: 52w\n"
        "        channels: [sms]",
        "template: stop_confirmation\n        offset: 7d\n        every: 14d\n        until: 52w\n"
        "        channels: [sms, email]",
    )
    [problem] = missing_templates(config)
    assert problem.startswith("stop_confirmation: no email template (stop_confirmation/email")


def test_missing_templates_refuses_a_staff_template_in_a_patient_schedule() -> None:
    config = example_with(
        "template: checkin\n        offset: 7d", "template: coordinator_alert\n        offset: 7d"
    )
    assert missing_templates(config) == [
        "coordinator_alert: a staff template cannot be scheduled to patients"
    ]


def test_missing_templates_looks_in_the_directory_it_is_given(
    config: TrustConfig, tmp_path: Path
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    (copy / "welcome" / "email.html.j2").unlink()
    assert missing_templates(config, copy) == ["welcome: no email template (welcome/email.html.j2)"]


def test_the_catalogue_entries_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOGUE["welcome"].sms_budget = 9  # type: ignore[misc]
