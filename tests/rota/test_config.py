"""Rotas and role steps in a trust's YAML: what is accepted, and what is refused with its line."""

from __future__ import annotations

from datetime import time

import pytest

from schema.config_file import ConfigError, parse_config_text
from tests.fakes.rota_trust import ESCALATION, ROTAS, rota_trust_yaml


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "trust.yaml")
    return [str(problem) for problem in caught.value.problems]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_shift_is_written_on_one_line_or_as_a_mapping_and_means_the_same() -> None:
    one_line = parse_config_text(rota_trust_yaml())
    mapping = parse_config_text(
        rota_trust_yaml(
            rotas=ROTAS.replace(
                '"daily 20:00-08:00: ben"',
                "{days: [mon, tue, wed, thu, fri, sat, sun], start: '20:00', end: '08:00',"
                " staff: ben}",
            )
        )
    )
    assert one_line.rotas == mapping.rotas
    night = one_line.rotas["on_duty_coordinator"].shifts[1]
    assert (night.start, night.end, night.length_minutes) == (time(20), time(8), 12 * 60)


def test_a_configuration_with_rotas_survives_being_stored_and_read_back() -> None:
    config = parse_config_text(rota_trust_yaml())
    assert type(config).model_validate(config.model_dump(mode="json")) == config


@pytest.mark.parametrize(
    ("days", "weekdays"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("sat,sun", {5, 6}),
        ("daily", set(range(7))),
    ],
)
def test_days_are_a_range_a_list_or_daily(days: str, weekdays: set[int]) -> None:
    text = rota_trust_yaml(
        rotas=ROTAS.replace('"daily 08:00-20:00: asha"', f'"{days} 08:00-20:00: asha"')
    )
    assert parse_config_text(text).rotas["on_duty_coordinator"].shifts[0].weekdays == weekdays


def test_a_step_naming_a_rota_that_does_not_exist_is_refused_with_its_line() -> None:
    text = rota_trust_yaml(escalation=ESCALATION.replace("role:on_call_consultant", "role:on_call"))
    (problem,) = problems_of(text)
    assert problem == (
        f"line {line_of(text, 'role:on_call]')}: escalation.red.steps[1].notify[0]: "
        "no rota 'on_call' (add it under rotas)"
    )


def test_a_shift_for_someone_who_is_not_staff_is_refused_with_its_line() -> None:
    text = rota_trust_yaml(rotas=ROTAS.replace("20:00-08:00: ben", "20:00-08:00: bob"))
    (problem,) = problems_of(text)
    assert problem == (
        f"line {line_of(text, '20:00-08:00: bob')}: "
        "rotas.on_duty_coordinator.shifts[1].staff: no staff member 'bob'"
    )


@pytest.mark.parametrize(
    ("shift", "says"),
    [
        ("mon-fry 08:00-20:00: asha", "days such as mon-fri, sat,sun or daily, not 'mon-fry'"),
        ("mon-fri 8-20 asha", "a shift such as 'mon-fri 08:00-18:00: asha'"),
        ("mon-fri 25:00-08:00: asha", "a local time such as 09:00"),
        ("mon 24:00-08:00: asha", "a shift starts by 23:59; 24:00 can only end one"),
    ],
)
def test_a_badly_written_shift_is_refused_with_what_is_expected_and_its_line(
    shift: str, says: str
) -> None:
    text = rota_trust_yaml(rotas=ROTAS.replace("daily 08:00-20:00: asha", shift))
    (problem,) = problems_of(text)
    assert problem.startswith(f"line {line_of(text, shift)}: rotas.on_duty_coordinator.shifts[0]")
    assert problem.endswith(says)


def test_a_call_step_without_a_number_to_call_from_is_refused() -> None:
    text = rota_trust_yaml().replace('voice:\n  from_number: "07700 900009"\n', "")
    (problem,) = problems_of(text)
    assert "escalation.red.steps[1].call: a call step needs voice.from_number" in problem


def test_yaml_cover_must_end_after_it_starts_and_swap_with_someone_else() -> None:
    rotas = ROTAS.replace(
        '      - "daily 20:00-08:00: ben"\n',
        '      - "daily 20:00-08:00: ben"\n'
        "    overrides:\n"
        '      - {start: "2026-07-01 17:00", end: "2026-07-01 09:00", staff: ben}\n'
        '      - {start: "2026-07-02 20:00", end: "2026-07-03 08:00", staff: ben,'
        " instead_of: ben}\n"
        '      - {start: "2026-07-02", end: "2026-07-03 08:00", staff: ben}\n',
    )
    problems = problems_of(rota_trust_yaml(rotas=rotas))
    assert [p.split(": ", 2)[1:] for p in problems] == [
        ["rotas.on_duty_coordinator.overrides[0]", "end must be after start"],
        ["rotas.on_duty_coordinator.overrides[1]", "instead_of must be someone else"],
        [
            "rotas.on_duty_coordinator.overrides[2].start",
            "a local date and time such as 2026-12-24 18:00",
        ],
    ]
