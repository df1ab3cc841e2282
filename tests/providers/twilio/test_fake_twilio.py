"""The test doubles themselves: the fake Twilio API and the signing helper."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from structlog.testing import capture_logs
from twilio.request_validator import RequestValidator

from testing.fake_twilio import FakeTwilio, count_segments
from testing.twilio_signing import signature, signed_headers
from worker.providers.base import Outgoing
from worker.providers.twilio.client import TwilioSmsProvider

pytest_plugins = ["tests.fakes.fixtures"]


def _post(fake: FakeTwilio, form: dict[str, str], auth: tuple[str, str] | None) -> Any:
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), error.headers


def test_twilios_own_signature_test_vector_verifies_with_the_signing_helper() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
        "Caller": "+14158675309",
    }

    assert signature(url, params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    header = signed_headers(url, params, "12345")["X-Twilio-Signature"]
    assert RequestValidator("12345").validate(url, params, header)
    assert not RequestValidator("54321").validate(url, params, header)


def test_the_fake_refuses_a_request_without_the_accounts_credentials(
    fake_twilio: FakeTwilio,
) -> None:
    form = {"To": "+447700900123", "From": "+447700900001", "Body": "hi"}

    status, body, headers = _post(fake_twilio, form, auth=None)
    wrong_status, _, _ = _post(fake_twilio, form, auth=(fake_twilio.account_sid, "wrong"))
    right_status, created, _ = _post(
        fake_twilio, form, auth=(fake_twilio.account_sid, fake_twilio.auth_token)
    )

    assert (status, wrong_status, right_status) == (401, 401, 201)
    assert body["code"] == 20003 and body["status"] == 401 and "more_info" in body
    assert headers["WWW-Authenticate"].startswith("Basic")
    assert created["sid"].startswith("SM") and len(created["sid"]) == 34
    assert [message.sid for message in fake_twilio.messages] == [created["sid"]]


def test_the_fake_answers_a_missing_sender_as_twilio_does(fake_twilio: FakeTwilio) -> None:
    auth = (fake_twilio.account_sid, fake_twilio.auth_token)

    status, body, _ = _post(fake_twilio, {"To": "+447700900123", "Body": "hi"}, auth)

    assert (status, body["code"]) == (400, 21603)
    assert fake_twilio.messages == []


def test_the_fake_counts_segments_as_gsm_7_or_ucs_2() -> None:
    assert count_segments("a" * 160) == 1
    assert count_segments("a" * 161) == 2
    assert count_segments("[" * 80) == 1  # an extension character costs two septets
    assert count_segments("[" * 81) == 2
    assert count_segments("\u2019" * 70) == 1
    assert count_segments("\u2019" * 71) == 2


def test_waiting_for_messages_that_never_come_times_out(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(TimeoutError):
        fake_twilio.wait_for_messages(1, timeout=0.1)


class _CallbackReceiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], str]]

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        self.received.append((self.path, form, self.headers["X-Twilio-Signature"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def callback_server() -> Iterator[tuple[str, list[tuple[str, dict[str, str], str]]]]:
    received: list[tuple[str, dict[str, str], str]] = []
    handler = type("Receiver", (_CallbackReceiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_a_status_callback_is_posted_signed_over_the_public_url(
    fake_twilio: FakeTwilio, callback_server: tuple[str, list[tuple[str, dict[str, str], str]]]
) -> None:
    local_url, received = callback_server
    public_url = "https://safetynet.example.nhs.uk/twilio/status"
    provider = TwilioSmsProvider(
        fake_twilio.account_sid, fake_twilio.auth_token, fake_twilio.base_url
    )
    provider.send(
        Outgoing(
            1, "sms", "+447700900123", "hi", sms_from="+447700900001", status_callback=public_url
        )
    )
    [message] = fake_twilio.messages

    status = fake_twilio.send_status(
        message, "undelivered", error_code=30005, post_to=f"{local_url}/twilio/status"
    )

    assert status == 204
    [(path, form, sent_signature)] = received
    assert path == "/twilio/status"
    assert form["MessageSid"] == message.sid
    assert form["MessageStatus"] == "undelivered"
    assert form["ErrorCode"] == "30005"
    assert RequestValidator(fake_twilio.auth_token).validate(public_url, form, sent_signature)


def test_the_fake_takes_a_thousand_messages_from_the_real_sdk_each_with_its_own_sid(
    fake_twilio: FakeTwilio,
) -> None:
    provider = TwilioSmsProvider(
        fake_twilio.account_sid, fake_twilio.auth_token, fake_twilio.base_url
    )
    outgoing = Outgoing(
        1, "sms", "+447700900123", "Check-in: how are you?", sms_from="+447700900001"
    )
    with capture_logs():
        for _ in range(1000):
            provider.send(outgoing)

    assert len(fake_twilio.messages) == 1000
    assert len({message.sid for message in fake_twilio.messages}) == 1000
