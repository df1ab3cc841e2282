"""Which SMS provider the settings make: Twilio, Notify, or both behind the failover provider."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from schema.settings import Settings
from worker.providers.failover import FailoverSmsProvider
from worker.providers.notify.client import NotifySmsProvider
from worker.providers.registry import reset_providers, sms_provider
from worker.providers.twilio.client import TwilioSmsProvider

NOTIFY = {
    "notify_api_key": f"test-{uuid.uuid4()}-{uuid.uuid4()}",
    "notify_sms_template_id": str(uuid.uuid4()),
    "notify_callback_token": "a-long-callback-token",
}
TWILIO = {"twilio_account_sid": "AC" + "0" * 32, "twilio_auth_token": "token"}


@pytest.fixture(autouse=True)
def fresh_providers() -> None:
    reset_providers()


def test_twilio_and_notify_together_make_the_failover_provider_twilio_first() -> None:
    provider = sms_provider(Settings(**TWILIO, **NOTIFY))  # type: ignore[arg-type]
    assert isinstance(provider, FailoverSmsProvider)
    assert [p.name for p in provider.providers] == ["twilio", "notify"]
    assert provider.bulk_may_fail_over is False


def test_notify_can_be_made_the_first_provider() -> None:
    settings = Settings(**TWILIO, **NOTIFY, sms_primary_provider="notify")  # type: ignore[arg-type]
    provider = sms_provider(settings)
    assert isinstance(provider, FailoverSmsProvider)
    assert [p.name for p in provider.providers] == ["notify", "twilio"]


def test_notify_alone_is_used_alone_and_twilio_alone_likewise() -> None:
    assert isinstance(sms_provider(Settings(**NOTIFY)), NotifySmsProvider)  # type: ignore[arg-type]
    assert isinstance(sms_provider(Settings(**TWILIO)), TwilioSmsProvider)  # type: ignore[arg-type]


def test_a_notify_key_without_its_template_or_callback_token_is_refused_naming_them() -> None:
    with pytest.raises(ValidationError, match="NOTIFY_SMS_TEMPLATE_ID, NOTIFY_CALLBACK_TOKEN"):
        Settings(notify_api_key=NOTIFY["notify_api_key"])


def test_something_that_is_not_a_notify_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a Notify API key"):
        Settings(**{**NOTIFY, "notify_api_key": "short"})  # type: ignore[arg-type]
