"""Voice calls with the real `twilio` SDK against the fake Twilio Voice API on 127.0.0.1, and the
voice provider chosen by the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from schema.settings import Settings
from testing.fake_twilio import FakeTwilio
from worker.providers.base import Outgoing, PermanentError, PermanentReason, TransientError
from worker.providers.outbox import OutboxProvider, read_outbox
from worker.providers.registry import channel_provider, reset_providers, voice_provider
from worker.providers.twilio.client import BaseUrlHttpClient
from worker.providers.twilio.voice import TwilioVoiceProvider, call_twiml

pytest_plugins = ["tests.fakes.fixtures"]

TO = "+447700900123"
GATHER = "https://safetynet.example.nhs.uk/twilio/voice/gather?m=42"
STATUS = "https://safetynet.example.nhs.uk/twilio/voice/status?m=42"
WORDS = "A red alert, code K, 7, Q, 2. Press 1 to acknowledge."


def _call(to: str = TO, **extra: Any) -> Outgoing:
    fields: dict[str, Any] = {
        "call_from": "+447700900009",
        "gather_url": GATHER,
        "status_callback": STATUS,
        **extra,
    }
    return Outgoing(message_id=42, channel="voice", to=to, body=WORDS, **fields)


def _provider(fake: FakeTwilio) -> TwilioVoiceProvider:
    return TwilioVoiceProvider(fake.account_sid, fake.auth_token, fake.base_url, timeout=5)


def test_a_call_is_placed_with_inline_twiml_that_gathers_one_key(fake_twilio: FakeTwilio) -> None:
    result = _provider(fake_twilio).send(_call())
    (call,) = fake_twilio.calls
    assert (result.provider, result.provider_message_id) == ("twilio", call.sid)
    assert call.sid.startswith("CA") and call.url is None
    assert (call.to, call.from_, call.timeout, call.status_callback) == (
        TO, "+447700900009", 30, STATUS,
    )  # fmt: skip
    assert call.params["StatusCallbackMethod"] == "POST"
    gather = call.gather
    assert (gather.get("numDigits"), gather.get("action"), gather.get("method")) == (
        "1",
        GATHER,
        "POST",
    )
    say = gather.find("Say")
    assert say is not None and say.text == WORDS and say.get("loop") == "2"
    assert say.get("language") == "en-GB"
    assert call.twiml is not None and call.twiml.rstrip().endswith("<Hangup /></Response>")


def test_words_with_markup_characters_are_escaped_in_the_twiml() -> None:
    twiml = call_twiml("Pins & needles <both legs>", GATHER)
    assert "Pins &amp; needles &lt;both legs&gt;" in twiml


@pytest.mark.parametrize(
    ("status", "code", "error", "reason"),
    [
        (400, 21211, PermanentError, PermanentReason.INVALID_NUMBER),
        (503, None, TransientError, None),
        (429, 20429, TransientError, None),
    ],
)
def test_a_refused_call_is_a_permanent_or_transient_failure_as_for_sms(
    fake_twilio: FakeTwilio, status: int, code: int | None, error: type[Exception], reason: Any
) -> None:
    fake_twilio.fail_next(1, status=status, code=code)
    with pytest.raises(error) as caught:
        _provider(fake_twilio).send(_call())
    if reason is not None:
        assert caught.value.reason == reason  # type: ignore[attr-defined]
    assert fake_twilio.calls == []


def test_a_call_without_a_number_to_call_from_fails_for_good_before_any_request(
    fake_twilio: FakeTwilio,
) -> None:
    with pytest.raises(PermanentError) as caught:
        _provider(fake_twilio).send(_call(call_from=None))
    assert caught.value.code == "no-caller"
    assert fake_twilio.request_count == 0


def test_a_drama_number_is_never_called_through_the_real_twilio_api(
    fake_twilio: FakeTwilio,
) -> None:
    real = TwilioVoiceProvider(fake_twilio.account_sid, fake_twilio.auth_token, None)
    with pytest.raises(PermanentError) as caught:
        real.send(_call(to="+447700900555"))
    assert caught.value.reason == PermanentReason.FICTIONAL_NUMBER


def test_the_fake_refuses_a_call_with_no_from_number_as_twilio_does(
    fake_twilio: FakeTwilio,
) -> None:
    client = Client(
        fake_twilio.account_sid,
        fake_twilio.auth_token,
        http_client=BaseUrlHttpClient(fake_twilio.base_url, 5),
    )
    with pytest.raises(TwilioRestException) as caught:
        client.calls.create(to=TO, from_="", twiml="<Response/>")
    assert (caught.value.status, caught.value.code) == (400, 21213)


def test_the_voice_provider_is_twilio_with_credentials_and_the_outbox_without(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    reset_providers()
    monkeypatch.setenv("SAFETYNET_DATA_DIR", str(tmp_path))
    offline = voice_provider(Settings())
    assert isinstance(offline, OutboxProvider) and offline.channel == "voice"
    offline.send(_call())
    assert [r["body"] for r in read_outbox(tmp_path / "outbox", "voice")] == [WORDS]
    for name, value in fake_twilio.env().items():
        monkeypatch.setenv(name, value)
    online = channel_provider("voice", Settings())
    assert isinstance(online, TwilioVoiceProvider) and online.api_base_url == fake_twilio.base_url
    reset_providers()
