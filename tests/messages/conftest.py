"""The example trust's configuration and contexts every template can render with."""

from __future__ import annotations

from typing import Any

import pytest

from messages.catalogue import sample_context
from schema.config_file import read_config_file
from schema.trust_config import TrustConfig
from tests.conftest import EXAMPLE_TRUST

COORDINATOR_LINE = "0113 496 0001"


@pytest.fixture(scope="session")
def config() -> TrustConfig:
    return read_config_file(EXAMPLE_TRUST).config


@pytest.fixture
def worst_case(config: TrustConfig) -> dict[str, Any]:
    return sample_context(config)


@pytest.fixture
def ordinary(config: TrustConfig) -> dict[str, Any]:
    return sample_context(config, worst_case=False)
