"""`safetynet messages check` and `preview`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from messages.catalogue import CATALOGUE
from schema.models import Trust
from tests.conftest import EXAMPLE_TRUST

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_check_passes_on_the_example_trust_by_default() -> None:
    code, output = run("messages", "check")
    assert code == 0, output
    assert "RXX" in output
    for key in CATALOGUE:
        assert key in output
    assert "GSM-7" in output
    assert "OVER" not in output


def test_check_exits_1_when_a_template_exceeds_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(
        CATALOGUE, "welcome", dataclasses.replace(CATALOGUE["welcome"], sms_budget=3)
    )
    code, output = run("messages", "check", "--config", str(EXAMPLE_TRUST))
    assert code == 1
    assert "OVER" in output
    assert "welcome sms en: 4 segments, budget 3" in output


def test_check_exits_2_naming_the_problem_when_the_config_is_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE_TRUST.read_text().replace('mscc_coordinator: "0113 496 0001"', ""))
    code, output = run("messages", "check", "--config", str(bad))
    assert code == 2
    assert "contacts.mscc_coordinator" in output


def test_check_refuses_both_a_file_and_a_trust() -> None:
    code, output = run("messages", "check", "--config", str(EXAMPLE_TRUST), "--trust", "RXX")
    assert code == 2
    assert "not both" in output


def test_check_reads_a_loaded_trust_from_the_database(trust: Trust) -> None:
    code, output = run("messages", "check", "--trust", trust.code)
    assert code == 0, output
    assert trust.name in output


def test_check_names_an_unknown_trust(trust: Trust) -> None:
    code, output = run("messages", "check", "--trust", "NOPE")
    assert code == 2
    assert "no trust with code 'NOPE'" in output


def test_preview_prints_the_sms_with_its_cost() -> None:
    code, output = run("messages", "preview", "checkin")
    assert code == 0, output
    assert "GSM-7" in output and "segments (budget 2)" in output
    assert "Hi Ann," in output
    assert "0113 496 0001" in output


def test_preview_prints_an_email_with_its_subject_and_optionally_its_html() -> None:
    code, output = run("messages", "preview", "welcome", "--channel", "email", "--html")
    assert code == 0, output
    assert "Subject: Symptoms to look out for" in output
    assert "<!DOCTYPE html>" in output


def test_preview_names_an_unknown_template() -> None:
    code, output = run("messages", "preview", "nope")
    assert code == 2
    assert "no template 'nope'" in output
