from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app
from schema.db import session_scope
from schema.models import OutboundMessage, Patient, Trust, TrustConfigVersion
from schema.settings import reset_settings_cache
from tests.conftest import EXAMPLE_PATIENTS, EXAMPLE_TRUST

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def count(model: type) -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    reset_settings_cache()
    return url


def test_a_newcomer_can_upgrade_load_enrol_and_import(database_url: str) -> None:
    assert run("db", "upgrade")[0] == 0
    code, output = run("trust", "load", str(EXAMPLE_TRUST))
    assert code == 0 and "RXX" in output
    code, output = run(
        "patients",
        "enrol",
        "--nhs-number",
        "943 476 5919",
        "--given-name",
        "Ann",
        "--family-name",
        "Example",
        "--phone",
        "07700 900299",
        "--cohort",
        "high_risk",
    )
    assert code == 0, output
    assert "messages planned" in output
    code, output = run("patients", "import", str(EXAMPLE_PATIENTS))
    assert code == 0, output
    assert count(Patient) == 7
    assert count(OutboundMessage) > 7


def test_a_malformed_config_exits_2_naming_file_line_and_field_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad-trust.yaml"
    bad.write_text(EXAMPLE_TRUST.read_text().replace("every: 14d", "every: 14 days"))
    code, output = run("trust", "load", str(bad))
    assert code == 2
    assert str(bad) in output
    assert "cohorts[1].schedule[1].every" in output
    assert "line " in output
    assert count(Trust) == 0 and count(TrustConfigVersion) == 0


def test_a_csv_with_bad_rows_exits_2_lists_lines_and_imports_nobody(
    database_url: str, tmp_path: Path
) -> None:
    run("trust", "load", str(EXAMPLE_TRUST))
    bad = tmp_path / "patients.csv"
    bad.write_text(
        EXAMPLE_PATIENTS.read_text() + "123,Bad,Row,07700 900220,,spinal_mets,en\n"
        "9990000077,Good,Row,07700 900221,,nowhere,en\n"
    )
    code, output = run("patients", "import", str(bad))
    assert code == 2
    assert "line 8: nhs_number" in output and "line 9: cohort" in output
    assert count(Patient) == 0


def test_commands_on_an_unmigrated_database_say_how_to_fix_it(fresh_database: str) -> None:
    code, output = run("trust", "load", str(EXAMPLE_TRUST))
    assert code == 2
    assert "safetynet db upgrade" in output


def test_status_changes_by_nhs_number(database_url: str) -> None:
    run("trust", "load", str(EXAMPLE_TRUST))
    run("patients", "import", str(EXAMPLE_PATIENTS))
    code, output = run("patients", "pause", "999 000 0018")
    assert code == 0 and "paused" in output
    code, output = run("patients", "opt-out", "9990000018")
    assert code == 0 and "opted out" in output
    code, output = run("patients", "discharge", "9990000019")
    assert code == 2 and "check digit" in output
