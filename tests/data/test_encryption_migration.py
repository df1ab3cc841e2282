"""Migration 0017 on SQLite and PostgreSQL: rows written before it are encrypted in place with
their hashes, found by them afterwards, and its downgrade gives the plain text back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from schema.db import engine_for
from schema.encryption import lookup_hmac
from schema.migrate import alembic_config, upgrade
from schema.models import Patient
from tests.conftest import unmigrated_database

PHONE = "+447700900123"
NOW = "2026-12-01 10:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with unmigrated_database(request.param, tmp_path, "safetynet_migration") as url:
        yield url


def insert_plain_rows(url: str) -> None:
    statements = [
        "INSERT INTO trusts (id, code, name, timezone, config, config_version, created_at)"
        f" VALUES (1, 'RXX', 'T', 'Europe/London', '{{}}', 1, '{NOW}')",
        "INSERT INTO patients (id, trust_id, cohort, nhs_number, given_name, family_name,"
        " phone_e164, email, status, enrolled_at, plan_generation, created_at, updated_at,"
        " restricted, pds_failures) VALUES (1, 1, 'c', '9434765919', 'Ann', 'Example',"
        f" '{PHONE}', 'ann@example.org', 'active', '{NOW}', 0, '{NOW}', '{NOW}', false, 0)",
        "INSERT INTO inbound_messages (id, provider_message_id, trust_id, patient_id,"
        " from_address, to_address, body, received_at, symptoms, evidence, review_step)"
        f" VALUES (1, 'SM1', 1, 1, '{PHONE}', '+447700900000', 'legs numb', '{NOW}',"
        """ '[]', '{"said": "legs numb"}', 0)""",
        "INSERT INTO inbound_messages (id, provider_message_id, from_address, to_address, body,"
        f" received_at, symptoms, evidence, review_step) VALUES (2, 'SM2', '', '', '', '{NOW}',"
        " '[]', '{}', 0)",
    ]
    with engine_for(url).begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_migration_0017_encrypts_rows_in_place_and_its_downgrade_gives_them_back(
    empty_url: str,
) -> None:
    upgrade(empty_url, "0016")
    insert_plain_rows(empty_url)
    upgrade(empty_url)
    upgrade(empty_url)  # at head already: nothing to do, nothing breaks
    with engine_for(empty_url).connect() as connection:
        stored = connection.execute(
            text("SELECT given_name, phone_e164, phone_hmac FROM patients")
        ).one()
        body = connection.execute(
            text("SELECT body, from_hmac, evidence FROM inbound_messages ORDER BY id")
        ).first()
        blank = connection.execute(text("SELECT evidence FROM inbound_messages WHERE id = 2"))
        found = connection.execute(
            select(Patient.id, Patient.given_name).where(Patient.phone_hmac == lookup_hmac(PHONE))
        ).one()
    assert stored.given_name.startswith("v1:") and stored.phone_e164.startswith("v1:")
    assert body is not None and body.body.startswith("v1:") and body.evidence.startswith("v1:")
    assert body.from_hmac == lookup_hmac(PHONE) and blank.scalar_one() == "{}"
    assert tuple(found) == (1, "Ann")
    command.downgrade(alembic_config(empty_url), "0016")
    with engine_for(empty_url).connect() as connection:
        plain = connection.execute(
            text("SELECT given_name, family_name, phone_e164, email FROM patients")
        ).one()
        reply = connection.execute(
            text("SELECT body, from_address FROM inbound_messages WHERE id = 1")
        ).one()
        evidence = connection.execute(  # JSON again: a dict on PostgreSQL, text on SQLite
            text("SELECT evidence FROM inbound_messages WHERE id = 1")
        ).scalar_one()
    assert tuple(plain) == ("Ann", "Example", PHONE, "ann@example.org")
    assert tuple(reply) == ("legs numb", PHONE)
    assert "legs numb" in str(evidence) and "v1:" not in str(evidence)
