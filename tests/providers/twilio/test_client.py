"""The Twilio provider with the real `twilio` SDK, against the fake Twilio API on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from structlog.testing import capture_logs

from testing.fake_twilio import FakeTwilio
from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    TransientError,
)
from worker.providers.twilio.client import TwilioSmsProvider, rebase_url

pytest_plugins = ["tests.fakes.fixtures"]

TO = "+447700900123"
CALLBACK = "https://safetynet.example.nhs.uk/twilio/status"


def _sms(to: str = TO, body: str = "Your weekly check-in: how are you?", **extra: Any) -> Outgoing:
    extra.setdefault("sms_from", "+447700900001")
    return Outgoing(message_id=42, channel="sms", to=to, body=body, **extra)


def _provider(fake: FakeTwilio, timeout: float = 5) -> TwilioSmsProvider:
    return TwilioSmsProvider(fake.account_sid, fake.auth_token, fake.base_url, timeout=timeout)


def test_an_sms_sent_with_the_sdk_returns_twilios_sid_and_segments(
    fake_twilio: FakeTwilio,
) -> None:
    result = _provider(fake_twilio).send(_sms(body="x" * 200))

    [message] = fake_twilio.messages
    assert result.provider == "twilio"
    assert result.provider_message_id == message.sid
    assert result.segments == 2
    assert (message.to, message.from_, message.body) == (TO, "+447700900001", "x" * 200)


def test_the_status_callback_url_is_passed_to_twilio(fake_twilio: FakeTwilio) -> None:
    _provider(fake_twilio).send(_sms(status_callback=CALLBACK))

    [message] = fake_twilio.messages
    assert message.status_callback == CALLBACK


def test_a_messaging_service_is_used_instead_of_a_from_number_when_set(
    fake_twilio: FakeTwilio,
) -> None:
    service = "MG" + "0" * 32
    _provider(fake_twilio).send(_sms(sms_from="+447700900001", messaging_service_sid=service))

    [message] = fake_twilio.messages
    assert (message.messaging_service_sid, message.from_) == (service, None)


def test_an_sms_with_no_sender_is_refused_before_asking_twilio(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(PermanentError) as caught:
        _provider(fake_twilio).send(_sms(sms_from=None))

    assert caught.value.reason is PermanentReason.REJECTED
    assert fake_twilio.request_count == 0


def test_wrong_credentials_are_refused_and_retried_later_not_failed_for_good(
    fake_twilio: FakeTwilio,
) -> None:
    provider = TwilioSmsProvider(fake_twilio.account_sid, "not-the-token", fake_twilio.base_url)

    with pytest.raises(TransientError) as caught:
        provider.send(_sms())

    assert caught.value.code == "20003"
    assert fake_twilio.messages == []


@pytest.mark.parametrize(
    ("status", "code", "expected_code"),
    [
        (500, None, "http-500"),
        (503, None, "http-503"),
        (500, 20500, "20500"),
        (429, 20429, "20429"),
    ],
)
def test_server_errors_and_rate_limits_are_transient(
    fake_twilio: FakeTwilio, status: int, code: int | None, expected_code: str
) -> None:
    fake_twilio.fail_next(1, status=status, code=code)
    provider = _provider(fake_twilio)

    with pytest.raises(TransientError) as caught:
        provider.send(_sms())

    assert caught.value.code == expected_code
    provider.send(_sms())
    assert len(fake_twilio.messages) == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (21610, PermanentReason.UNSUBSCRIBED),
        (21211, PermanentReason.INVALID_NUMBER),
        (21614, PermanentReason.INVALID_NUMBER),
        (21408, PermanentReason.REJECTED),
    ],
)
def test_twilio_error_codes_are_permanent_with_the_right_reason(
    fake_twilio: FakeTwilio, code: int, reason: PermanentReason
) -> None:
    fake_twilio.fail_next(1, status=400, code=code)

    with pytest.raises(PermanentError) as caught:
        _provider(fake_twilio).send(_sms())

    assert (caught.value.reason, caught.value.code) == (reason, str(code))
    assert fake_twilio.messages == []


def test_a_refusal_quoting_the_number_leaves_it_out_of_the_error_and_the_logs(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.fail_when(lambda to: to == TO, status=400, code=21211)

    with capture_logs() as logs, pytest.raises(PermanentError) as caught:
        _provider(fake_twilio).send(_sms(body="secret symptoms"))

    assert caught.value.__cause__ is None and caught.value.__context__ is not None
    assert TO not in str(caught.value)
    assert TO not in repr(logs) and "secret symptoms" not in repr(logs)
    assert logs[0]["to"] == "***123"


def test_one_number_always_refused_does_not_stop_the_others(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_when(lambda to: to == "+447700900666", status=400, code=21211)
    provider = _provider(fake_twilio)

    with pytest.raises(PermanentError):
        provider.send(_sms(to="+447700900666"))
    provider.send(_sms())

    assert [message.to for message in fake_twilio.messages] == [TO]


def test_a_slow_answer_is_a_transient_timeout_and_the_next_send_works(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.delay_next(1, 1.0)
    provider = _provider(fake_twilio, timeout=0.3)

    with pytest.raises(TransientError) as caught:
        provider.send(_sms())
    assert caught.value.code == "timeout"

    provider.send(_sms())
    # The slow request still went through at Twilio: a timeout can mean a message was sent.
    assert len(fake_twilio.wait_for_messages(2, timeout=3)) == 2


def test_an_outage_is_transient_until_it_ends(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_for(0.3, status=503)
    provider = _provider(fake_twilio)

    with pytest.raises(TransientError):
        provider.send(_sms())
    time.sleep(0.35)
    provider.send(_sms())

    assert len(fake_twilio.messages) == 1


def test_an_unreachable_api_is_a_transient_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    provider = TwilioSmsProvider("AC" + "0" * 32, "token", f"http://127.0.0.1:{closed_port}")

    with pytest.raises(TransientError) as caught:
        provider.send(_sms())

    assert caught.value.code == "connection"


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every attempt to look up a host or open a connection, each refused."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> Any:
        attempts.append(args)
        raise OSError("the network is off in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_a_drama_number_is_refused_for_the_real_twilio_api_without_any_request(
    connections: list[object],
) -> None:
    provider = TwilioSmsProvider("AC" + "0" * 32, "token", api_base_url=None)

    with pytest.raises(PermanentError) as caught:
        provider.send(_sms(to="+447700900999"))

    assert caught.value.reason is PermanentReason.FICTIONAL_NUMBER
    assert connections == []


def test_a_number_outside_the_drama_range_would_go_to_twilio(
    connections: list[object],
) -> None:
    provider = TwilioSmsProvider("AC" + "0" * 32, "token", api_base_url=None)

    with pytest.raises(TransientError):
        provider.send(_sms(to="+447700901000"))

    assert connections  # it tried, so the guard above is not vacuous


def test_drama_numbers_go_to_a_configured_api_base_url(fake_twilio: FakeTwilio) -> None:
    _provider(fake_twilio).send(_sms(to="+447700900999"))

    assert [message.to for message in fake_twilio.messages] == ["+447700900999"]


def test_one_provider_is_safe_to_share_between_threads(fake_twilio: FakeTwilio) -> None:
    provider = _provider(fake_twilio)
    errors: list[BaseException] = []

    def send_some() -> None:
        try:
            for _ in range(25):
                provider.send(_sms())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=send_some) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len({message.sid for message in fake_twilio.messages}) == 200


def test_a_forked_process_makes_its_own_client(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = _provider(fake_twilio)
    provider.send(_sms())
    first = provider._client

    monkeypatch.setattr("worker.providers.twilio.rest.os.getpid", lambda: -1)
    provider.send(_sms())

    assert provider._client is not first


def test_rebasing_keeps_the_path_and_query_and_any_base_path() -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1"

    assert rebase_url(url, "http://127.0.0.1:8080") == (
        "http://127.0.0.1:8080/2010-04-01/Accounts/AC1/Messages.json?x=1"
    )
    assert rebase_url(url, "https://proxy.example/twilio/") == (
        "https://proxy.example/twilio/2010-04-01/Accounts/AC1/Messages.json?x=1"
    )
