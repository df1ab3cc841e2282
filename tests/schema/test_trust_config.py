from pathlib import Path

import pytest

from schema.config_file import ConfigError, parse_config_text, read_config_file
from tests.conftest import EXAMPLE_TRUST

EXAMPLE = EXAMPLE_TRUST.read_text()


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "trust.yaml")
    return [str(problem) for problem in caught.value.problems]


def line_of(fragment: str) -> int:
    return next(i for i, line in enumerate(EXAMPLE.splitlines(), 1) if fragment in line)


def test_the_example_trust_is_valid() -> None:
    config = read_config_file(EXAMPLE_TRUST).config
    assert config.code == "RXX"
    assert config.sms.from_number == "+447700900000"
    assert config.contacts.mscc_coordinator == "+441134960001"
    assert [c.key for c in config.cohorts] == ["spinal_mets", "bone_mets", "high_risk"]


def test_a_bad_repeat_interval_names_its_field_path_and_line() -> None:
    text = EXAMPLE.replace("every: 14d", "every: fortnightly")
    problems = errors_of(text)
    assert problems == [
        f"line {line_of('every: 14d')}: cohorts[1].schedule[1].every: "
        "a duration such as 30m, 12h, 7d or 2w"
    ]


def test_every_problem_in_the_file_is_reported_at_once() -> None:
    text = EXAMPLE.replace('start: "09:00"', 'start: "25:00"').replace(
        "timezone: Europe/London", "timezone: Europe/Leeds"
    )
    problems = errors_of(text)
    assert len(problems) == 2
    assert any("timezone: not an IANA time zone" in p for p in problems)
    assert any(p.startswith(f"line {line_of('start:')}: send_window.start") for p in problems)


def test_an_alphanumeric_sender_is_refused_because_patients_could_not_reply() -> None:
    text = EXAMPLE.replace('from_number: "07700 900000"', "from_number: RIVERSIDE")
    (problem,) = errors_of(text)
    assert "sms.from_number" in problem
    assert "one-way" in problem


def test_an_escalation_step_naming_unknown_staff_is_refused_with_its_line() -> None:
    text = EXAMPLE.replace(
        "- notify: [ben]\n        minutes: 5", "- notify: [bob]\n        minutes: 5"
    )
    (problem,) = errors_of(text)
    assert problem.startswith("line ")
    assert "escalation.red.steps[1].notify[0]: no staff member 'bob'" in problem


def test_a_key_written_twice_in_yaml_is_refused() -> None:
    (problem,) = errors_of(EXAMPLE + "\ncode: RYY\n")
    assert "written twice" in problem


def test_broken_yaml_gives_its_line() -> None:
    (problem,) = errors_of("code: RXX\nstaff: [\n")
    assert problem.startswith("line 3: not valid YAML")


def test_unknown_settings_are_refused_rather_than_ignored() -> None:
    (problem,) = errors_of(EXAMPLE.replace("replies:", "replys:"))
    assert "replys: Extra inputs are not permitted" in problem


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    problems = errors_of(EXAMPLE.replace('end: "20:00"', 'end: "08:00"'))
    assert any("start must be before end" in p for p in problems)


def test_a_staff_member_with_neither_phone_nor_email_is_refused() -> None:
    text = EXAMPLE.replace(
        "    role: admin\n    email: priya.shah@riverside.example.nhs.uk\n", "    role: admin\n"
    )
    problems = errors_of(text)
    assert any("staff[3]" in p and "phone or an email" in p for p in problems)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_config_file(tmp_path / "absent.yaml")
