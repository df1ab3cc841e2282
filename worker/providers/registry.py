"""The provider each channel uses, chosen by the settings and kept for the life of the process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from schema.settings import Settings
from worker.providers.base import Provider
from worker.providers.failover import FailoverSmsProvider
from worker.providers.health import ProviderHealth
from worker.providers.notify.client import NotifySmsProvider
from worker.providers.outbox import OutboxProvider, outbox_directory
from worker.providers.smtp_email import SmtpEmailProvider
from worker.providers.twilio.client import TwilioSmsProvider
from worker.providers.twilio.voice import TwilioVoiceProvider


def sms_provider(settings: Settings) -> Provider:
    """Twilio, Notify, or both behind the failover provider (the first in SMS_PRIMARY_PROVIDER's
    order); the offline outbox when neither is configured."""
    configured: dict[str, Provider] = {}
    if settings.sms_provider == "twilio":
        configured["twilio"] = _twilio(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url or None,
        )
    if settings.notify_enabled:
        configured["notify"] = _notify(
            settings.notify_api_key,
            settings.notify_sms_template_id,
            settings.notify_api_base_url or None,
            settings.notify_sms_sender_id or None,
            settings.notify_alert_sms_sender_id or None,
        )
    if not configured:
        return _outbox(outbox_directory(settings.data_dir.resolve()), "sms")
    if len(configured) == 1:
        return next(iter(configured.values()))
    primary = settings.sms_primary_provider
    ordered = (configured[primary], *(p for n, p in configured.items() if n != primary))
    broker = settings.resolved_broker_url
    return _failover(
        ordered,
        broker if broker.startswith(("redis://", "rediss://")) else "",
        settings.broker_key_prefix,
        settings.provider_failing_seconds,
        settings.notify_bulk_failover,
    )


def email_provider(settings: Settings) -> Provider:
    if settings.email_provider == "smtp":
        return _smtp(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_from,
            settings.smtp_starttls,
            settings.smtp_timeout_seconds,
        )
    return _outbox(outbox_directory(settings.data_dir.resolve()), "email")


def voice_provider(settings: Settings) -> Provider:
    """Calls go through Twilio when it is configured (as SMS do), else to the outbox."""
    if settings.sms_provider == "twilio":
        return _twilio_voice(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url or None,
        )
    return _outbox(outbox_directory(settings.data_dir.resolve()), "voice")


def channel_provider(channel: str, settings: Settings) -> Provider:
    """The provider for a message's channel."""
    if channel == "voice":
        return voice_provider(settings)
    return email_provider(settings) if channel == "email" else sms_provider(settings)


# Keyed on the values, not the Settings object, so equal settings share one provider (and one
# pooled Twilio connection) and changed settings get a new one.
@lru_cache(maxsize=8)
def _twilio(account_sid: str, auth_token: str, api_base_url: str | None) -> TwilioSmsProvider:
    return TwilioSmsProvider(account_sid, auth_token, api_base_url)


@lru_cache(maxsize=8)
def _twilio_voice(
    account_sid: str, auth_token: str, api_base_url: str | None
) -> TwilioVoiceProvider:
    return TwilioVoiceProvider(account_sid, auth_token, api_base_url)


@lru_cache(maxsize=8)
def _notify(
    api_key: str,
    template_id: str,
    base_url: str | None,
    sender_id: str | None,
    alert_sender_id: str | None,
) -> NotifySmsProvider:
    return NotifySmsProvider(
        api_key,
        template_id,
        base_url=base_url,
        sender_id=sender_id,
        alert_sender_id=alert_sender_id,
    )


@lru_cache(maxsize=8)
def _failover(
    providers: tuple[Provider, ...],
    redis_url: str,
    key_prefix: str,
    failing_seconds: float,
    bulk_may_fail_over: bool,
) -> FailoverSmsProvider:
    health = ProviderHealth(
        redis_url=redis_url, key_prefix=key_prefix, failing_seconds=failing_seconds
    )
    return FailoverSmsProvider(providers, health, bulk_may_fail_over=bulk_may_fail_over)


@lru_cache(maxsize=8)
def _smtp(
    host: str,
    port: int,
    user: str,
    password: str,
    sender: str,
    starttls: bool,
    timeout: float,
) -> SmtpEmailProvider:
    return SmtpEmailProvider(host, port, user, password, sender, starttls, timeout)


@lru_cache(maxsize=16)
def _outbox(directory: Path, channel: str) -> OutboxProvider:
    return OutboxProvider(directory, channel)


def reset_providers() -> None:
    """Forget every provider made so far (tests change the settings)."""
    _twilio.cache_clear()
    _twilio_voice.cache_clear()
    _notify.cache_clear()
    _failover.cache_clear()
    _smtp.cache_clear()
    _outbox.cache_clear()
