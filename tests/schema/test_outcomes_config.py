"""A trust's list of alert outcomes: the default when it gives none, and its own checked."""

from __future__ import annotations

import re

import pytest

from schema.config_file import ConfigError, parse_config_text
from schema.trust_config import DEFAULT_OUTCOMES
from tests.conftest import EXAMPLE_TRUST

WITHOUT_OUTCOMES = EXAMPLE_TRUST.read_text().split("\n# What a coordinator records")[0] + "\n"


def test_a_trust_that_lists_no_outcomes_gets_the_default_list() -> None:
    config = parse_config_text(WITHOUT_OUTCOMES)
    assert [(o.key, o.name) for o in config.outcomes] == list(DEFAULT_OUTCOMES)
    assert config.outcome("mscc_confirmed") is not None and config.outcome("cured") is None


def test_a_trust_can_list_its_own_outcomes() -> None:
    text = WITHOUT_OUTCOMES + "outcomes:\n  - {key: ed, name: Sent to the emergency department}\n"
    config = parse_config_text(text)
    assert [(o.key, o.name) for o in config.outcomes] == [
        ("ed", "Sent to the emergency department")
    ]


@pytest.mark.parametrize(
    ("outcomes", "field", "message"),
    [
        ("[{key: ed, name: A}, {key: ed, name: B}]", "outcomes[1].key", "key 'ed' is used twice"),
        ("[{key: Sent, name: A}]", "outcomes[0].key", "should match pattern"),
        ("[{key: ed, name: ''}]", "outcomes[0].name", "at least 1 character"),
        ("[]", "outcomes", "at least 1 item"),
    ],
)
def test_a_bad_outcome_list_is_refused_naming_the_field_and_line(
    outcomes: str, field: str, message: str
) -> None:
    text = WITHOUT_OUTCOMES + f"outcomes: {outcomes}\n"
    with pytest.raises(ConfigError) as refused:
        parse_config_text(text, "trust.yaml")
    line = text.count("\n")
    assert re.search(
        rf"trust.yaml: line {line}: {re.escape(field)}: .*{message}", str(refused.value)
    )
