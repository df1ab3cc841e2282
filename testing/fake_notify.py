"""A fake GOV.UK Notify API on 127.0.0.1, for the real `notifications-python-client`.

It answers `POST /v2/notifications/sms` as Notify does: the request must carry a JWT signed
with the API key's secret (HS256, `iss` the service id, `iat` within 30 seconds), checked with
the client library's own decoder, as Notify's API checks it; the answer is 201 with the
notification, or an error shaped like Notify's. It records every accepted text. Tests script
failures (`fail_for`, `fail_next`, `delay_next`) and make the callbacks Notify would make: a
delivery receipt (`send_status`) and a received text message (`send_inbound`), each with the
service's bearer token.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

from testing.http_fake import FakeServer, HttpFake, QuietHandler

_SMS_PATH = "/v2/notifications/sms"


@dataclass(frozen=True)
class FakeText:
    id: str
    phone_number: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    sms_sender_id: str | None
    received_monotonic: float
    received_at: datetime
    request: dict[str, Any] = field(repr=False)

    @property
    def body(self) -> str:
        return str(self.personalisation.get("body", ""))


class FakeNotify(HttpFake):
    """Start with `start()` (or `with`); `env()` gives the settings that point the service here."""

    description = "the fake Notify"
    request_queue_size = 256
    quiet_errors = True

    def __init__(self, callback_token: str | None = None) -> None:
        super().__init__()
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.template_id = str(uuid.uuid4())
        self.callback_token = callback_token or secrets.token_urlsafe(24)
        self.api_key = f"safetynet_test-{self.service_id}-{self.secret}"
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._texts: list[FakeText] = []
        self._refused = 0
        self._fail_next: deque[int] = deque()
        self._delay_next: deque[float] = deque()
        self._fail_until = 0.0
        self._fail_status = 500

    def env(self) -> dict[str, str]:
        return {
            "NOTIFY_API_KEY": self.api_key,
            "NOTIFY_API_BASE_URL": self.base_url,
            "NOTIFY_SMS_TEMPLATE_ID": self.template_id,
            "NOTIFY_CALLBACK_TOKEN": self.callback_token,
        }

    # -- what arrived ----------------------------------------------------------------------

    @property
    def texts(self) -> list[FakeText]:
        with self._lock:
            return list(self._texts)

    @property
    def refused(self) -> int:
        """Requests answered with an error (bad tokens and scripted faults)."""
        with self._lock:
            return self._refused

    def wait_for_texts(self, count: int, timeout: float = 10.0) -> list[FakeText]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._texts) >= count, timeout):
                raise TimeoutError(f"{len(self._texts)} of {count} texts arrived")
            return list(self._texts)

    # -- faults ----------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._fail_next.extend(status for _ in range(n))

    def fail_for(self, seconds: float, status: int = 500) -> None:
        with self._lock:
            self._fail_until = time.monotonic() + seconds
            self._fail_status = status

    def delay_next(self, n: int, seconds: float) -> None:
        with self._lock:
            self._delay_next.extend(seconds for _ in range(n))

    def _fault(self) -> int | None:
        with self._lock:
            if time.monotonic() < self._fail_until:
                return self._fail_status
            return self._fail_next.popleft() if self._fail_next else None

    def _take_delay(self) -> float:
        with self._lock:
            return self._delay_next.popleft() if self._delay_next else 0.0

    def _accept(self, request: dict[str, Any]) -> FakeText:
        text = FakeText(
            id=str(uuid.uuid4()),
            phone_number=str(request["phone_number"]),
            template_id=str(request["template_id"]),
            personalisation=dict(request.get("personalisation") or {}),
            reference=request.get("reference"),
            sms_sender_id=request.get("sms_sender_id"),
            received_monotonic=time.monotonic(),
            received_at=datetime.now(UTC),
            request=request,
        )
        with self._arrived:
            self._texts.append(text)
            self._arrived.notify_all()
        return text

    # -- the callbacks Notify makes --------------------------------------------------------

    def status_payload(self, text: FakeText, status: str) -> dict[str, Any]:
        """A delivery receipt as Notify posts it (status: delivered, permanent-failure,
        temporary-failure or technical-failure)."""
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return {
            "id": text.id,
            "reference": text.reference,
            "to": text.phone_number,
            "status": status,
            "created_at": text.received_at.isoformat().replace("+00:00", "Z"),
            "completed_at": now,
            "sent_at": now,
            "notification_type": "sms",
            "template_id": text.template_id,
            "template_version": 1,
        }

    def send_status(self, url: str, text: FakeText, status: str, token: str | None = None) -> int:
        return post_json(url, self.status_payload(text, status), token or self.callback_token)

    def inbound_payload(self, source: str, destination: str, message: str) -> dict[str, Any]:
        """A received text message as Notify posts it (numbers as Notify writes them)."""
        return {
            "id": str(uuid.uuid4()),
            "source_number": source.lstrip("+"),
            "destination_number": destination,
            "message": message,
            "date_received": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }

    def send_inbound(
        self, url: str, source: str, destination: str, message: str, token: str | None = None
    ) -> int:
        payload = self.inbound_payload(source, destination, message)
        return post_json(url, payload, token or self.callback_token)


def post_json(url: str, payload: dict[str, Any], bearer: str, timeout: float = 10.0) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _error(status: int, kind: str, message: str) -> dict[str, Any]:
    return {"errors": [{"error": kind, "message": message}], "status_code": status}


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeServer[FakeNotify]

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.read_body()
        delay = fake._take_delay()
        if delay:
            time.sleep(delay)
        if self.path.split("?")[0] != _SMS_PATH:
            self._reply(404, _error(404, "NotFound", "Not Found"))
            return
        problem = self._token_problem(fake)
        if problem:
            self._reply(403, _error(403, "AuthError", problem))
            return
        fault = fake._fault()
        if fault is not None:
            self._reply(fault, _error(fault, "Exception", "Internal server error"))
            return
        try:
            request = json.loads(raw)
        except ValueError:
            self._reply(400, _error(400, "BadRequestError", "Invalid JSON supplied in POST data"))
            return
        missing = [f for f in ("phone_number", "template_id") if not request.get(f)]
        if missing:
            self._reply(400, _error(400, "ValidationError", f"{missing[0]} is a required property"))
            return
        if request["template_id"] != fake.template_id:
            self._reply(400, _error(400, "BadRequestError", "Template not found"))
            return
        if not str(request["phone_number"]).lstrip("+").startswith(("447", "07")):
            self._reply(400, _error(400, "ValidationError", "phone_number Not a UK mobile number"))
            return
        text = fake._accept(request)
        self._reply(
            201,
            {
                "id": text.id,
                "reference": text.reference,
                "content": {"body": text.body, "from_number": "SafetyNet"},
                "uri": f"{fake.base_url}/v2/notifications/{text.id}",
                "template": {
                    "id": text.template_id,
                    "version": 1,
                    "uri": f"{fake.base_url}/templates/{text.template_id}",
                },
                "scheduled_for": None,
            },
        )

    def _token_problem(self, fake: FakeNotify) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return "Unauthorized: authentication token must be provided"
        token = header[len("Bearer ") :]
        try:
            if get_token_issuer(token) != fake.service_id:
                return "Invalid token: service not found"
            decode_jwt_token(token, fake.secret)
        except TokenError as error:
            return error.message
        return None

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        if status >= 400:
            with self.server.fake._lock:
                self.server.fake._refused += 1
        self.send_json(status, body)


FakeNotify.handler = _Handler
