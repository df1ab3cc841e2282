"""Patients' data and language (issue 17): the example trust, open all day, sending through the
fake Twilio API with no broker (the send path itself), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.nhs.conftest import env, load, trust_yaml

__all__ = ["env"]


@pytest.fixture
def trust(database_url: str, env: Callable[..., None]) -> int:
    return load(trust_yaml())


@pytest.fixture
def english_only_trust(database_url: str, env: Callable[..., None]) -> int:
    return load(trust_yaml().replace("languages: [en, cy]", "languages: [en]"))
