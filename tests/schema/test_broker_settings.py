"""BROKER_TRANSPORT_OPTIONS: kombu's Redis transport options, as a JSON object, checked on load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from schema.settings import Settings
from worker.app import celery_config


def settings_from(_: pytest.MonkeyPatch, **env: str) -> Settings:
    """Settings read from this environment, which is gone again when they are made (the
    fixtures' own reset must not read a bad one)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return Settings()


def test_sentinel_options_reach_the_celery_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        BROKER_URL="sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26379",
        BROKER_TRANSPORT_OPTIONS='{"master_name": "mymaster", "sentinel_kwargs": {"password": ""}}',
        BROKER_KEY_PREFIX="trust-a:",
    )
    config = celery_config(settings)
    assert config["broker_transport"] == "worker.redis_transport:SentinelTransport"
    assert config["broker_transport_options"] == {
        "master_name": "mymaster",
        "sentinel_kwargs": {"password": ""},
        "global_keyprefix": "trust-a:",
    }


def test_plain_redis_uses_our_redis_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    config = celery_config(settings_from(monkeypatch, BROKER_URL="redis://redis:6379/0"))
    assert config["broker_transport"] == "worker.redis_transport:Transport"
    assert config["broker_transport_options"] == {}


def test_a_sentinel_url_without_a_master_name_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValidationError, match="BROKER_TRANSPORT_OPTIONS needs master_name"):
        settings_from(monkeypatch, BROKER_URL="sentinel://10.0.0.1:26379")


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ('{"master_nmae": "mymaster"}', "unknown option master_nmae"),
        ('{"master_name": ""}', "master_name must be a non-empty string"),
        ('{"master_name": "m", "sentinel_kwargs": "x"}', "sentinel_kwargs must be an object"),
        ('{"global_keyprefix": "a:"}', "BROKER_KEY_PREFIX"),
    ],
)
def test_bad_transport_options_are_refused_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, options: str, complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        settings_from(monkeypatch, BROKER_TRANSPORT_OPTIONS=options)


def test_transport_options_that_are_not_json_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(SettingsError, match="broker_transport_options"):
        settings_from(monkeypatch, BROKER_TRANSPORT_OPTIONS="master_name=mymaster")
