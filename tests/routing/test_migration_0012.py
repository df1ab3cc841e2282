"""Migration 0012 on a database that already has the bug it closes: a patient with two open
alerts keeps one (the red, the newest), still escalating; the other is resolved, noted, audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from schema.db import dispose_engines
from schema.migrate import upgrade
from tests.conftest import unmigrated_database

NOW = "2026-12-01 02:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with unmigrated_database(request.param, tmp_path, "safetynet_0012") as url:
        yield url


def test_upgrading_folds_a_patients_duplicate_open_alerts_into_one(empty_database: str) -> None:
    url = empty_database
    upgrade(url, "0011")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO trusts (id, code, name, timezone, config, config_version, created_at)"
                f" VALUES (1, 'RXX', 'T', 'Europe/London', '{{}}', 1, '{NOW}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO patients (id, trust_id, cohort, nhs_number, given_name, family_name,"
                " phone_e164, language, status, enrolled_at, plan_generation, created_at,"
                f" updated_at) VALUES (1, 1, 'c', '9434765919', 'A', 'B', '+447700900300', 'en',"
                f" 'active', '{NOW}', 0, '{NOW}', '{NOW}')"
            )
        )
        for alert_id, level, code in (
            (1, "amber", "AAAA"),
            (2, "red", "CCCC"),
            (3, "amber", "DDDD"),
        ):
            connection.execute(
                text(
                    "INSERT INTO alerts (id, trust_id, patient_id, code, level, state, chain,"
                    " current_step, round, raised_at) VALUES (:id, 1, 1, :code, :level, 'open',"
                    f" '{{}}', 0, 0, '{NOW}')"
                ),
                {"id": alert_id, "code": code, "level": level},
            )
    engine.dispose()
    dispose_engines()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        states = connection.execute(text("SELECT id, state FROM alerts ORDER BY id")).all()
        audited = connection.execute(
            text("SELECT subject_id FROM audit_events WHERE action = 'alert.folded_as_duplicate'")
        ).all()
        note = connection.execute(text("SELECT outcome_note FROM alerts WHERE id = 1")).scalar()
    engine.dispose()
    assert [tuple(row) for row in states] == [(1, "resolved"), (2, "open"), (3, "resolved")]
    assert sorted(row[0] for row in audited) == [1, 3]
    assert note == "a duplicate of alert 2, which goes on"
