from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.fake_pds import FakePds
from worker.providers.pds import PdsClient, TokenSource


@pytest.fixture
def fake_pds() -> Iterator[FakePds]:
    with FakePds() as fake:
        yield fake


@pytest.fixture
def tokens(fake_pds: FakePds) -> TokenSource:
    return TokenSource(fake_pds.credentials(), timeout=2)


@pytest.fixture
def pds(fake_pds: FakePds, tokens: TokenSource) -> PdsClient:
    return PdsClient(fake_pds.base_url, tokens, timeout=1)
