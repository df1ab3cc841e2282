"""Pytest fixtures for the test doubles. Load with `pytest_plugins = ["tests.fakes.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.fake_notify import FakeNotify
from testing.fake_twilio import FakeTwilio
from testing.own_postgres import OwnPostgres, remove_template, template_cluster
from tests.fakes.smtp_server import SmtpTestServer


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on 127.0.0.1 with a fresh account sid and token."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def fake_notify() -> Iterator[FakeNotify]:
    """A fake GOV.UK Notify API on 127.0.0.1 with a fresh service, key and template."""
    with FakeNotify() as fake:
        yield fake


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A plain SMTP server (aiosmtpd, no STARTTLS) on 127.0.0.1 that keeps what it receives."""
    with SmtpTestServer() as server:
        yield server


@pytest.fixture(scope="session")
def own_postgres_template() -> Iterator[None]:
    template_cluster()
    yield
    remove_template()


@pytest.fixture
def own_postgres(own_postgres_template: None) -> Iterator[OwnPostgres]:
    """A running PostgreSQL cluster of this test's own: stop, crash or freeze it at will."""
    with OwnPostgres.fresh() as cluster:
        yield cluster
