"""Every template checked for a trust: it renders, and its SMS keep their encoding and budget."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from messages.catalogue import (
    CATALOGUE,
    TEMPLATE_DIR,
)
from messages.template_checks import check_templates
from schema.trust_config import TrustConfig


def test_every_template_passes_its_check_for_the_example_trust(config: TrustConfig) -> None:
    checks = check_templates(config)
    assert [c for c in checks if not c.ok] == []
    sms = [c for c in checks if c.channel == "sms"]
    assert {c.encoding for c in sms} == {"GSM-7"}
    assert all(c.segments is not None and c.budget is not None for c in sms)


def test_the_check_covers_every_patient_template_in_every_trust_language(
    config: TrustConfig,
) -> None:
    checks = check_templates(config)
    patient = {(c.key, c.channel, c.language) for c in checks if c.audience == "patient"}
    staff = {(c.key, c.channel, c.language) for c in checks if c.audience == "staff"}
    assert {("welcome", "sms", "cy"), ("welcome", "sms", "cy+en")} <= patient
    assert {language for _, _, language in staff} == {"en"}
    welsh = next(c for c in checks if (c.key, c.channel, c.language) == ("welcome", "sms", "cy"))
    assert welsh.source == "welcome/sms.cy.txt.j2"
    both = next(c for c in checks if (c.key, c.channel, c.language) == ("welcome", "sms", "cy+en"))
    assert both.source == "welcome/sms.cy.txt.j2 + welcome/sms.txt.j2"


def test_a_language_without_its_own_template_is_checked_in_the_english_it_falls_back_to(
    config: TrustConfig,
) -> None:
    polish = config.model_copy(update={"languages": ["en", "pl"]})
    checks = check_templates(polish)
    fallback = next(c for c in checks if (c.key, c.channel, c.language) == ("welcome", "sms", "pl"))
    assert fallback.source == "welcome/sms.txt.j2 (English)"
    assert not any(c.language == "cy+en" for c in checks)  # bilingual only where Welsh is served


def test_a_template_over_its_budget_fails_the_check(
    config: TrustConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        CATALOGUE, "checkin", dataclasses.replace(CATALOGUE["checkin"], sms_budget=1)
    )
    failed = [c for c in check_templates(config) if not c.ok]
    # Welsh keeps its own budget (3); the bilingual form may use both (1 + 3), and needs 5
    assert [(c.key, c.channel, c.language, c.segments, c.budget) for c in failed] == [
        ("checkin", "sms", "en", 2, 1),
        ("checkin", "sms", "cy+en", 5, 4),
    ]
    assert failed[0].problem == "2 segments, budget 1"


def test_an_english_template_that_falls_into_ucs_2_fails_the_check(
    config: TrustConfig, tmp_path: Path
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    (copy / "thank_you" / "sms.txt.j2").write_text("Diolch \u0175 {{ contacts.mscc_coordinator }}")
    failed = [c for c in check_templates(config, copy) if not c.ok]
    assert [(c.key, c.language, c.encoding) for c in failed] == [
        ("thank_you", "en", "UCS-2"),
        ("thank_you", "cy+en", "UCS-2"),  # the bilingual form carries the English
    ]
    assert "UCS-2 because of" in (failed[0].problem or "")


def test_a_template_that_cannot_render_fails_the_check(config: TrustConfig, tmp_path: Path) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, copy)
    (copy / "help" / "sms.txt.j2").write_text("{{ contacts.switchboard }}")
    failed = [c for c in check_templates(config, copy) if not c.ok]
    assert {(c.key, c.channel) for c in failed} == {("help", "sms")}
    assert "switchboard" in (failed[0].problem or "")
