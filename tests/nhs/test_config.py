"""The trust's integration configuration and the PDS settings: what they accept, and how a
mistake is named. Migration 0011 on a database with patients in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from messages.patient_events import MarkerKind
from schema.config_file import ConfigError, parse_config_text
from schema.migrate import upgrade
from schema.settings import Settings
from schema.trust_config import MARKER_KINDS
from tests.conftest import EXAMPLE_TRUST

TRUST_YAML = EXAMPLE_TRUST.read_text()


def problems(text_: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config_text(text_)
    return [str(p) for p in raised.value.problems]


def test_the_rule_kinds_are_the_markers_the_wire_formats_read() -> None:
    assert set(MARKER_KINDS) == {kind.value for kind in MarkerKind}


def test_the_example_maps_its_clinic_specialty_alert_and_fhir_codes_to_cohorts() -> None:
    integration = parse_config_text(TRUST_YAML).integration
    assert integration.cohort_for([("location", "ONC-MSCC", None)]) == "spinal_mets"
    assert integration.cohort_for([("specialty", "800", None)]) == "spinal_mets"
    assert integration.cohort_for([("alert", "MSCC-RISK", None)]) == "high_risk"
    coded = "https://fhir.riverside.example/CodeSystem/episode-type"
    assert integration.cohort_for([("episode_type", "mscc-spinal-mets", coded)]) == "spinal_mets"
    assert integration.cohort_for([("episode_type", "mscc-spinal-mets", "other")]) is None
    assert integration.cohort_for([("specialty", "110", None)]) is None
    assert integration.hl7 is not None and integration.hl7.sending_facilities == ["RXX"]
    assert integration.write_back is None


def test_a_trust_without_an_integration_section_takes_no_feed_and_writes_nothing_back() -> None:
    start = TRUST_YAML.index("\n# Enrolment from the trust's systems")
    config = parse_config_text(TRUST_YAML[:start] + "\n")
    assert config.integration.hl7 is None and config.integration.cohort_rules == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{location: ONC-MSCC, cohort: spinal_mets}",
            "{location: ONC-MSCC, cohort: nowhere}",
            "integration.cohort_rules[0].cohort: no cohort 'nowhere'",
        ),
        (
            "{location: ONC-MSCC, cohort: spinal_mets}",
            "{location: ONC-MSCC, specialty: '800', cohort: spinal_mets}",
            "integration.cohort_rules[0]: give exactly one of location",
        ),
        (
            "{location: ONC-MSCC, cohort: spinal_mets}",
            "{location: ONC-MSCC, system: 'x', cohort: spinal_mets}",
            "system goes only with episode_type or flag_code",
        ),
        ("alert_fields: [ZAL-2]", "alert_fields: [ZAL2]", "'ZAL2' is not a field such as ZAL-3"),
        ("sending_facilities: [RXX]", "sending_facilities: []", "sending_facilities"),
        (
            "  # write_back:",
            "  write_back: {callback_url: 'http://integration.example/cb', secret_env: X}\n  #",
            "an https address",
        ),
        (
            "  # write_back:",
            "  write_back: {callback_url: 'https://integration.example/cb'}\n  #",
            "needs exactly one of secret_env or secret_file",
        ),
        (
            "  # write_back:",
            "  write_back: {secret_env: RXX_SECRET}\n  #",
            "a secret without a callback_url signs nothing",
        ),
        (
            "  # write_back:",
            "  write_back: {callback_url: 'https://i.example/cb', secret_env: 'not a name'}\n  #",
            "the name of an environment variable",
        ),
        (
            "  # write_back:",
            "  write_back: {callback_url: 'https://i.example/cb', secret: hunter2}\n  #",
            "integration.write_back.secret",
        ),
    ],
)
def test_a_bad_integration_setting_is_refused_naming_the_field_and_its_line(
    old: str, new: str, expected: str
) -> None:
    assert old in TRUST_YAML
    found = problems(TRUST_YAML.replace(old, new, 1))
    assert any(expected in p for p in found), found
    assert all(p.startswith("line ") for p in found), found


def test_https_and_loopback_callback_addresses_are_accepted() -> None:
    for url in ("https://integration.example/cb", "http://127.0.0.1:8080/cb"):
        text_ = TRUST_YAML.replace(
            "  # write_back:", f"  write_back: {{callback_url: '{url}', secret_env: RXX_S}}\n  #"
        )
        write_back = parse_config_text(text_).integration.write_back
        assert write_back is not None and write_back.callback_url == url


def test_pds_is_off_by_default_and_needs_all_its_settings_when_on() -> None:
    assert not Settings().pds_enabled
    with pytest.raises(ValidationError) as raised:
        Settings(pds_base_url="https://int.api.service.nhs.uk/personal-demographics/FHIR/R4")
    assert "PDS_TOKEN_URL, PDS_API_KEY, PDS_PRIVATE_KEY_PATH, PDS_KEY_ID" in str(raised.value)
    on = Settings(
        pds_base_url="https://pds.example/FHIR/R4",
        pds_token_url="https://pds.example/oauth2/token",
        pds_api_key="key",
        pds_private_key_path="/run/secrets/pds.pem",
        pds_key_id="k1",
    )
    assert on.pds_enabled


def test_migration_0011_owes_every_patient_still_in_the_net_a_first_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0007")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO trusts (id, code, name, timezone, config, "
                                "config_version, created_at) VALUES (1, 'RXX', 'T', "
                                "'Europe/London', '{}', 1, '2026-12-01 10:00:00')"))  # fmt: skip
        for n, status in enumerate(("active", "paused", "discharged"), start=1):
            connection.execute(
                text(
                    "INSERT INTO patients (id, trust_id, cohort, nhs_number, given_name, "
                    "family_name, phone_e164, language, status, enrolled_at, plan_generation, "
                    "created_at, updated_at) VALUES (:id, 1, 'c', :nhs, 'A', 'B', "
                    "'+447700900201', 'en', :status, '2026-12-01 10:00:00', 0, "
                    "'2026-12-01 10:00:00', '2026-12-01 10:00:00')"
                ),
                {"id": n, "nhs": f"999000000{n}", "status": status},
            )
    engine.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        owed = dict(
            connection.execute(
                text("SELECT status, pds_next_check_at IS NOT NULL FROM patients")
            ).all()
        )
        restricted = connection.execute(text("SELECT DISTINCT restricted FROM patients")).all()
        connection.execute(
            text(
                "INSERT INTO outbound_messages (trust_id, channel, queue, kind, template_key, "
                "context, to_address, due_at, state, state_changed_at, attempts, "
                "idempotency_key, created_at) VALUES (1, 'email', 'messages', 'integration', "
                "'writeback_failed', '{}', 'a@example.com', '2026-12-01 10:00:00', 'scheduled', "
                "'2026-12-01 10:00:00', 0, 'k', '2026-12-01 10:00:00')"
            )
        )
    engine.dispose()
    assert owed == {"active": 1, "paused": 1, "discharged": 0}
    assert restricted == [(0,)]
