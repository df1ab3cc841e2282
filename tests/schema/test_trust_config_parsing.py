"""The trust configuration in force is parsed once per distinct configuration, never stale."""

from __future__ import annotations

import copy

from schema.models import Trust
from schema.trusts import trust_config


def test_the_same_configuration_is_parsed_once_and_shared(trust: Trust) -> None:
    assert trust_config(trust) is trust_config(trust)


def test_a_changed_configuration_is_read_afresh(trust: Trust) -> None:
    before = trust_config(trust)
    changed = copy.deepcopy(trust.config)
    changed["name"] = "Renamed Hospitals NHS Trust"
    trust.config = changed
    after = trust_config(trust)
    assert after.name == "Renamed Hospitals NHS Trust"
    assert before.name != after.name
