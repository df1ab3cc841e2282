"""A fake Twilio REST API on 127.0.0.1, for the real `twilio` SDK to talk to.

It answers `POST /2010-04-01/Accounts/{sid}/Messages.json` and `.../Calls.json` as Twilio does
(basic auth, form fields, 201 with a Message or Call resource, errors shaped like Twilio's) and
records every accepted message and call. Tests script failures: `fail_next`, `delay_next`,
`fail_for`, `fail_when` (for messages and calls alike). For a call it also makes the requests
Twilio would make during and after it: the key pressed, posted to the `<Gather>` action of the
call's TwiML (`gather_params`, `press`), and the final status (`call_status_params`, `end_call`),
each signed with the account's token.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from testing.http_fake import FakeServer, HttpFake, QuietHandler
from testing.twilio_signing import signed_headers

API_VERSION = "2010-04-01"
_MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>AC\w+)/Messages\.json$")
_CALLS_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>AC\w+)/Calls\.json$")

_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "The 'To' number {to} is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number {to} is not a valid mobile number",
    21201: "No 'To' number is specified",
    21205: "Url parameter is required.",
    21213: "No 'From' number is specified",
}

# GSM 03.38: the basic set costs one septet, the extension set two.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def count_segments(body: str) -> int:
    """Twilio's num_segments, simply: GSM-7 160/153 septets, otherwise UCS-2 70/67 units."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in body):
        length, single, multi = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body), 160, 153
    else:
        length, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else -(-length // multi)


@dataclass(frozen=True)
class FakeMessage:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    num_segments: int
    received_monotonic: float
    received_at: datetime
    params: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class FakeCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    status_callback: str | None
    timeout: int | None
    received_monotonic: float
    received_at: datetime
    params: dict[str, str] = field(repr=False)

    @property
    def gather(self) -> ElementTree.Element:
        """The `<Gather>` of the call's TwiML (an AssertionError if it has none)."""
        assert self.twiml is not None, "the call was made with a URL, not inline TwiML"
        found = ElementTree.fromstring(self.twiml).find("Gather")
        assert found is not None, f"no <Gather> in {self.twiml}"
        return found

    @property
    def spoken(self) -> str:
        """Every word the call's TwiML says, in order."""
        assert self.twiml is not None
        return " ".join(say.text or "" for say in ElementTree.fromstring(self.twiml).iter("Say"))


@dataclass(frozen=True)
class Fault:
    status: int
    code: int | None = None


class FakeTwilio(HttpFake):
    """Start with `start()` (or `with`); `base_url` is what TWILIO_API_BASE_URL should be."""

    description = "the fake Twilio"
    request_queue_size = 256
    quiet_errors = True

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        super().__init__()
        self.account_sid = account_sid or f"AC{uuid.uuid4().hex}"
        self.auth_token = auth_token or secrets.token_hex(16)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._messages: list[FakeMessage] = []
        self._calls: list[FakeCall] = []
        self._request_count = 0
        self._fail_next: deque[Fault] = deque()
        self._delay_next: deque[float] = deque()
        self._fail_until = 0.0
        self._fail_until_fault = Fault(503)
        self._fail_when: list[tuple[Callable[[str], bool], Fault]] = []
        self._refuse_calls: Fault | None = None

    def env(self) -> dict[str, str]:
        """Environment variables that point the service at this fake."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_API_BASE_URL": self.base_url,
        }

    # -- what arrived ----------------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMessage]:
        """Every accepted message, in the order they were accepted."""
        with self._lock:
            return list(self._messages)

    @property
    def calls(self) -> list[FakeCall]:
        """Every accepted call, in the order they were placed."""
        with self._lock:
            return list(self._calls)

    def wait_for_calls(self, count: int, timeout: float = 10.0) -> list[FakeCall]:
        """Block until at least `count` calls were placed; raise TimeoutError if not."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._calls) >= count, timeout):
                raise TimeoutError(f"{len(self._calls)} of {count} calls were placed")
            return list(self._calls)

    @property
    def request_count(self) -> int:
        """Every request answered, failures included."""
        with self._lock:
            return self._request_count

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[FakeMessage]:
        """Block until at least `count` messages were accepted; raise TimeoutError if not."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} of {count} messages arrived")
            return list(self._messages)

    # -- faults ----------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, code: int | None = None) -> None:
        """The next `n` sends are refused with `status` (and Twilio `code`, when given)."""
        with self._lock:
            self._fail_next.extend(Fault(status, code) for _ in range(n))

    def delay_next(self, n: int, seconds: float) -> None:
        """The next `n` requests are answered after `seconds`. Like Twilio, a message whose
        client gave up waiting is still accepted and recorded."""
        with self._lock:
            self._delay_next.extend(seconds for _ in range(n))

    def fail_for(self, seconds: float, status: int = 503, code: int | None = None) -> None:
        """Every send is refused for the next `seconds`."""
        with self._lock:
            self._fail_until = time.monotonic() + seconds
            self._fail_until_fault = Fault(status, code)

    def fail_when(
        self, predicate: Callable[[str], bool], status: int = 400, code: int | None = 21211
    ) -> None:
        """Sends to a To number for which `predicate` holds are always refused."""
        with self._lock:
            self._fail_when.append((predicate, Fault(status, code)))

    def refuse_calls(self, status: int = 400, code: int | None = 21211) -> None:
        """Every call is refused (messages are not)."""
        with self._lock:
            self._refuse_calls = Fault(status, code)

    def clear_faults(self) -> None:
        with self._lock:
            self._refuse_calls = None
            self._fail_next.clear()
            self._delay_next.clear()
            self._fail_until = 0.0
            self._fail_when.clear()

    def _take_delay(self) -> float:
        with self._lock:
            self._request_count += 1
            return self._delay_next.popleft() if self._delay_next else 0.0

    def _fault_for(self, to: str) -> Fault | None:
        with self._lock:
            rules = list(self._fail_when)
        for predicate, fault in rules:  # outside the lock: the predicate is the test's code
            if predicate(to):
                return fault
        with self._lock:
            if time.monotonic() < self._fail_until:
                return self._fail_until_fault
            return self._fail_next.popleft() if self._fail_next else None

    def _accept(self, account_sid: str, params: dict[str, str]) -> FakeMessage:
        message = FakeMessage(
            sid=f"SM{uuid.uuid4().hex}",
            account_sid=account_sid,
            to=params["To"],
            from_=params.get("From"),
            messaging_service_sid=params.get("MessagingServiceSid"),
            body=params.get("Body", ""),
            status_callback=params.get("StatusCallback"),
            num_segments=count_segments(params.get("Body", "")),
            received_monotonic=time.monotonic(),
            received_at=datetime.now(UTC),
            params=params,
        )
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return message

    def _accept_call(self, account_sid: str, params: dict[str, str]) -> FakeCall:
        call = FakeCall(
            sid=f"CA{uuid.uuid4().hex}",
            account_sid=account_sid,
            to=params["To"],
            from_=params["From"],
            twiml=params.get("Twiml"),
            url=params.get("Url"),
            status_callback=params.get("StatusCallback"),
            timeout=int(params["Timeout"]) if params.get("Timeout", "").isdigit() else None,
            received_monotonic=time.monotonic(),
            received_at=datetime.now(UTC),
            params=params,
        )
        with self._arrived:
            self._calls.append(call)
            self._arrived.notify_all()
        return call

    # -- what Twilio posts about a call ----------------------------------------------------

    def _call_params(self, call: FakeCall, status: str) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": "outbound-api",
            "From": call.from_,
            "To": call.to,
        }

    def gather_params(self, call: FakeCall, digits: str) -> dict[str, str]:
        """The form Twilio posts to the Gather action when the person presses `digits`."""
        return {**self._call_params(call, "in-progress"), "Digits": digits, "FinishedOnKey": ""}

    def call_status_params(
        self, call: FakeCall, status: str, duration: int | None = None
    ) -> dict[str, str]:
        """The form Twilio posts to the call's StatusCallback when it ends with `status`
        (completed, busy, no-answer, failed or canceled)."""
        params = self._call_params(call, status)
        params["CallDuration"] = str(duration if duration is not None else 0)
        params["Duration"] = str(-(-(duration or 0) // 60))
        return params

    def press(self, call: FakeCall, digits: str, post_to: str | None = None) -> tuple[int, str]:
        """Press `digits` on the call: post them, signed, to its Gather action. Returns the
        HTTP status and the TwiML answered. `post_to` sends it elsewhere, signed over the action."""
        action = call.gather.get("action")
        assert action, "the <Gather> has no action"
        return post_signed(action, self.gather_params(call, digits), self.auth_token, post_to)

    def end_call(
        self, call: FakeCall, status: str, duration: int | None = None, post_to: str | None = None
    ) -> int:
        """Report the call's final `status` to its StatusCallback, signed."""
        if not call.status_callback:
            raise ValueError("the call was placed without a StatusCallback")
        params = self.call_status_params(call, status, duration)
        return post_signed(call.status_callback, params, self.auth_token, post_to)[0]

    # -- status callbacks ------------------------------------------------------------------

    def status_callback_params(
        self, message: FakeMessage, status: str, error_code: int | None = None
    ) -> dict[str, str]:
        """The form fields Twilio posts to a message's StatusCallback."""
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "",
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    def send_status(
        self,
        message: FakeMessage,
        status: str,
        error_code: int | None = None,
        post_to: str | None = None,
    ) -> int:
        """Report `status` for `message` to its StatusCallback, signed with this account's token.
        `post_to` sends it elsewhere (a test server) while signing over the StatusCallback URL."""
        if not message.status_callback:
            raise ValueError("the message was sent without a StatusCallback")
        params = self.status_callback_params(message, status, error_code)
        return send_status_callback(message.status_callback, params, self.auth_token, post_to)


def send_status_callback(
    url: str,
    params: Mapping[str, str],
    auth_token: str,
    post_to: str | None = None,
    timeout: float = 10.0,
) -> int:
    """POST `params` as Twilio does, signed over `url`; the HTTP status of the answer."""
    return post_signed(url, params, auth_token, post_to, timeout)[0]


def post_signed(
    url: str,
    params: Mapping[str, str],
    auth_token: str,
    post_to: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, str]:
    """POST `params` as Twilio does, signed over `url`: the HTTP status and body answered."""
    request = urllib.request.Request(
        post_to or url,
        data=urllib.parse.urlencode(params).encode(),
        headers=signed_headers(url, params, auth_token),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def error_body(status: int, code: int | None, to: str = "") -> dict[str, Any]:
    """An error as Twilio's 2010 API shapes it (a code-less one stands for a gateway's error)."""
    if code is None:
        return {"status": status, "message": "Service Unavailable"}
    return {
        "code": code,
        "message": _MESSAGES.get(code, "Error").format(to=to),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled session expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: 40 ms each without
    server: FakeServer[FakeTwilio]

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.read_body().decode("utf-8")
        delay = fake._take_delay()
        if delay:
            time.sleep(delay)

        path = urllib.parse.urlsplit(self.path).path
        calls = _CALLS_PATH.match(path)
        match = calls or _MESSAGES_PATH.match(path)
        if match is None:
            self._reply(404, error_body(404, 20404))
            return
        if not self._authorised(fake):
            self._reply(
                401, error_body(401, 20003), {"WWW-Authenticate": 'Basic realm="Twilio API"'}
            )
            return
        if match["sid"] != fake.account_sid:
            self._reply(404, error_body(404, 20404))
            return

        params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        to = params.get("To", "")
        missing = _missing_call_field(params) if calls else _missing_field(params)
        if missing:
            self._reply(400, error_body(400, missing))
            return
        fault = fake._refuse_calls if calls and fake._refuse_calls else fake._fault_for(to)
        if fault is not None:
            self._reply(fault.status, error_body(fault.status, fault.code, to))
            return
        if calls:
            self._reply(201, _call_resource(fake._accept_call(match["sid"], params)))
            return
        message = fake._accept(match["sid"], params)
        self._reply(201, _resource(message))

    def do_GET(self) -> None:
        self._reply(404, error_body(404, 20404))

    def _authorised(self, fake: FakeTwilio) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(user, fake.account_sid) and secrets.compare_digest(
            password, fake.auth_token
        )

    def _reply(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self.send_json(
            status, body, content_type="application/json; charset=utf-8", headers=headers
        )


FakeTwilio.handler = _Handler


def _missing_field(params: dict[str, str]) -> int | None:
    """Twilio's code for the first required field left out, if any."""
    if not params.get("To"):
        return 21604
    if not (params.get("From") or params.get("MessagingServiceSid")):
        return 21603
    if not params.get("Body"):
        return 21602
    return None


def _missing_call_field(params: dict[str, str]) -> int | None:
    if not params.get("To"):
        return 21201
    if not params.get("From"):
        return 21213
    if not (params.get("Url") or params.get("Twiml") or params.get("ApplicationSid")):
        return 21205
    return None


def _call_resource(call: FakeCall) -> dict[str, Any]:
    created = format_datetime(call.received_at, usegmt=True)
    path = f"/{API_VERSION}/Accounts/{call.account_sid}/Calls/{call.sid}"
    return {
        "account_sid": call.account_sid,
        "annotation": None,
        "answered_by": None,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": created,
        "date_updated": created,
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": call.from_,
        "from_formatted": call.from_,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call.sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {"notifications": f"{path}/Notifications.json"},
        "to": call.to,
        "to_formatted": call.to,
        "uri": f"{path}.json",
    }


def _resource(message: FakeMessage) -> dict[str, Any]:
    created = format_datetime(message.received_at, usegmt=True)
    path = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": "0",
        "num_segments": str(message.num_segments),
        "price": None,
        "price_unit": "USD",
        "sid": message.sid,
        # A message sent through a messaging service is "accepted" until a sender is chosen.
        "status": "accepted" if message.from_ is None else "queued",
        "subresource_uris": {"media": f"{path}/Media.json"},
        "to": message.to,
        "uri": f"{path}.json",
    }
