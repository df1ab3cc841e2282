"""Pytest fixtures for the test doubles. Load with `pytest_plugins = ["tests.fakes.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.fake_twilio import FakeTwilio
from tests.fakes.smtp_server import SmtpTestServer


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on 127.0.0.1 with a fresh account sid and token."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A plain SMTP server (aiosmtpd, no STARTTLS) on 127.0.0.1 that keeps what it receives."""
    with SmtpTestServer() as server:
        yield server
