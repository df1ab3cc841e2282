from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schema.settings import Settings
from testing.fake_twilio import FakeTwilio
from tests.fakes.smtp_server import SmtpTestServer
from worker.providers.base import Outgoing
from worker.providers.outbox import OutboxProvider, read_outbox
from worker.providers.registry import email_provider, reset_providers, sms_provider
from worker.providers.smtp_email import SmtpEmailProvider
from worker.providers.twilio.client import TwilioSmsProvider

pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(autouse=True)
def fresh_providers() -> Iterator[None]:
    reset_providers()
    yield
    reset_providers()


def _settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_with_no_credentials_both_channels_go_to_the_outbox_in_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = _settings(monkeypatch, {"SAFETYNET_DATA_DIR": str(tmp_path)})

    sms, email = sms_provider(settings), email_provider(settings)
    sms.send(Outgoing(1, "sms", "+447700900123", "hello"))

    assert isinstance(sms, OutboxProvider) and isinstance(email, OutboxProvider)
    assert (sms.channel, email.channel) == ("sms", "email")
    assert [record["message_id"] for record in read_outbox(tmp_path / "outbox", "sms")] == [1]


def test_twilio_credentials_choose_twilio_and_the_api_base_url(
    monkeypatch: pytest.MonkeyPatch, fake_twilio: FakeTwilio
) -> None:
    settings = _settings(monkeypatch, fake_twilio.env())

    provider = sms_provider(settings)
    provider.send(Outgoing(1, "sms", "+447700900123", "hello", sms_from="+447700900001"))

    assert isinstance(provider, TwilioSmsProvider)
    assert provider.api_base_url == fake_twilio.base_url
    assert len(fake_twilio.messages) == 1


def test_an_smtp_host_chooses_smtp_with_the_configured_options(
    monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpTestServer
) -> None:
    settings = _settings(
        monkeypatch, {**smtp_server.env(), "SMTP_FROM": "alerts@trust.example.nhs.uk"}
    )

    provider = email_provider(settings)
    provider.send(Outgoing(1, "email", "nurse@example.org", "hello", subject="Alert"))

    assert isinstance(provider, SmtpEmailProvider)
    assert (provider.port, provider.starttls, provider.sender) == (
        smtp_server.port,
        False,
        "alerts@trust.example.nhs.uk",
    )
    assert len(smtp_server.messages) == 1


def test_a_process_keeps_one_provider_until_the_settings_change_or_a_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token"}
    first = sms_provider(_settings(monkeypatch, env))

    assert sms_provider(_settings(monkeypatch, env)) is first
    changed = sms_provider(_settings(monkeypatch, {"TWILIO_AUTH_TOKEN": "rotated"}))
    assert changed is not first
    reset_providers()
    assert sms_provider(_settings(monkeypatch, {})) is not changed
