"""`safetynet rota check`: every gap in the coming days, exit status 1 if there is one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from schema.types import SimulatedClock, use_clock
from tests.conftest import EXAMPLE_TRUST
from tests.fakes.rota_trust import rota_trust_yaml
from tests.rota.conftest import utc
from tests.rota.test_gap_warnings import NO_SUNDAY_DAYS

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def thursday() -> Iterator[None]:
    """The service's clock at noon on Thursday 3 December 2026."""
    use_clock(SimulatedClock(utc("2026-12-03 12:00")))
    yield
    use_clock(None)


def load_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(text)
    assert run("db", "upgrade")[0] == 0
    code, output = run("trust", "load", str(path))
    assert code == 0, output


def test_a_rota_with_a_gap_lists_each_period_and_exits_1(
    database_url: str, tmp_path: Path, thursday: None
) -> None:
    load_file(tmp_path, rota_trust_yaml(rotas=NO_SUNDAY_DAYS))
    code, output = run("rota", "check", "--days", "14")
    assert code == 1
    assert output.splitlines() == [
        "RXX on_duty_coordinator: nobody from 08:00 Sun 6 Dec 2026 to 20:00 Sun 6 Dec 2026 (12 h)",
        "RXX on_duty_coordinator: nobody from 08:00 Sun 13 Dec 2026 to 20:00 Sun 13 Dec 2026"
        " (12 h)",
        "2 gaps: arrange cover on the rota page",
    ]
    assert run("rota", "check", "--trust", "RXX", "--days", "2") == (
        0,
        "RXX: on_duty_coordinator, on_call_consultant covered for the next 2 days\n",
    )


def test_a_rota_with_every_role_covered_exits_0(
    database_url: str, tmp_path: Path, thursday: None
) -> None:
    load_file(tmp_path, rota_trust_yaml())
    code, output = run("rota", "check")
    assert (code, output.strip()) == (
        0,
        "RXX: on_duty_coordinator, on_call_consultant covered for the next 14 days",
    )
    code, output = run("rota", "show", "--days", "1")
    assert code == 0 and "Ben Carter" in output and "NOBODY" not in output


def test_the_example_trust_is_covered_and_bad_input_exits_2(
    database_url: str, tmp_path: Path, thursday: None
) -> None:
    load_file(tmp_path, EXAMPLE_TRUST.read_text())
    assert run("rota", "check") == (0, "RXX: on_call_consultant covered for the next 14 days\n")
    assert run("rota", "check", "--trust", "NOPE")[0] == 2
    assert run("rota", "check", "--days", "0")[0] == 2


def test_a_trust_whose_chains_name_no_role_has_nothing_to_check(
    database_url: str, tmp_path: Path, thursday: None
) -> None:
    load_file(tmp_path, EXAMPLE_TRUST.read_text().replace("role:on_call_consultant", "ben"))
    assert run("rota", "check") == (0, "RXX: no escalation step names a role; nothing to check\n")
