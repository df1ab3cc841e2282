"""A fake NHS England PDS FHIR API and OAuth 2.0 token endpoint on 127.0.0.1.

It behaves as the real ones are documented to: the token endpoint takes a client-credentials
request with a signed JWT client assertion and checks it (RS512 signature against the
registered public key, kid, iss = sub = API key, aud = the token URL, exp no more than five
minutes ahead, jti not reused); `GET /Patient/{id}` wants a live bearer token and a UUID
X-Request-ID, mirrors X-Request-ID and X-Correlation-ID, and answers real-shaped UK Core
Patient resources or OperationOutcomes. One NHS number per case (see `Case`); any other valid
number is a 404. Tests script faults with `fail_next` and `delay_next`.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from testing.http_fake import FakeServer, HttpFake, QuietHandler
from testing.nhs_numbers import fake_nhs_number
from worker.providers.pds.auth import CLIENT_ASSERTION_TYPE, PdsCredentials

PDS_PATH = "/personal-demographics/FHIR/R4"
TOKEN_PATH = "/oauth2/token"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_UKCORE = "https://fhir.hl7.org.uk/StructureDefinition"
_SECURITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"


class Case:
    """The NHS number that answers each case."""

    NORMAL = fake_nhs_number(10)
    DECEASED = fake_nhs_number(11)  # formal: deceasedDateTime and status 2
    INFORMAL_DEATH = fake_nhs_number(12)  # status 1, no date
    DEATH_REMOVED = fake_nhs_number(13)  # status U, no date: alive
    RESTRICTED = fake_nhs_number(14)
    DIFFERENT_MOBILE = fake_nhs_number(15)
    SUPERSEDED = fake_nhs_number(16)  # answers with SUPERSEDED_BY's record
    SUPERSEDED_BY = fake_nhs_number(17)
    INVALIDATED = fake_nhs_number(18)
    RATE_LIMITED = fake_nhs_number(19)  # always 429, Retry-After 7
    SERVER_ERROR = fake_nhs_number(20)  # always 500
    NOT_FOUND = fake_nhs_number(21)  # like any number not listed here
    PDS_INVALID = "0000000000"  # passes the check digit; PDS says INVALID_RESOURCE_ID


ENROLLED_MOBILE = "07700900123"
OTHER_MOBILE = "07700900456"


@lru_cache(maxsize=1)
def _key_pair() -> tuple[bytes, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, key.public_key()


def generate_private_key_pem() -> bytes:
    """A fresh key the fake does not know (for a test of a wrong key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def uk_core_patient(
    nhs_number: str,
    *,
    given: str = "Ann",
    family: str = "Example",
    mobiles: tuple[str, ...] = (ENROLLED_MOBILE,),
    restricted: bool = False,
    deceased: str | None = None,
    death_notification: str | None = None,
    version: str = "2",
) -> dict[str, Any]:
    """A Patient as PDS returns one (shaped after NHS England's published examples)."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": nhs_number,
        "identifier": [
            {
                "system": "https://fhir.nhs.uk/Id/nhs-number",
                "value": nhs_number,
                "extension": [
                    {
                        "url": f"{_UKCORE}/Extension-UKCore-NHSNumberVerificationStatus",
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": "https://fhir.hl7.org.uk/CodeSystem/"
                                    "UKCore-NHSNumberVerificationStatus",
                                    "version": "1.0.0",
                                    "code": "01",
                                    "display": "Number present and verified",
                                }
                            ]
                        },
                    }
                ],
            }
        ],
        "meta": {
            "versionId": version,
            "security": [
                {"system": _SECURITY, "code": "R", "display": "restricted"}
                if restricted
                else {"system": _SECURITY, "code": "U", "display": "unrestricted"}
            ],
        },
        "name": [
            {
                "id": "123",
                "use": "usual",
                "period": {"start": "2020-01-01"},
                "given": [given],
                "family": family,
                "prefix": ["Mrs"],
            },
            {
                "id": "124",
                "use": "old",
                "period": {"start": "1950-01-01", "end": "2019-12-31"},
                "given": [given],
                "family": "Maidenname",
            },
        ],
        "gender": "female",
        "birthDate": "1950-01-01",
        "multipleBirthInteger": 1,
        "extension": [],
    }
    if not restricted:
        resource["address"] = [
            {
                "id": "456",
                "period": {"start": "2020-01-01"},
                "use": "home",
                "line": ["1 River Road", "Leeds"],
                "postalCode": "LS1 1AA",
            }
        ]
        telecom: list[dict[str, Any]] = [
            {
                "id": "789",
                "period": {"start": "2020-01-01"},
                "system": "phone",
                "value": "01134960000",
                "use": "home",
            },
            {
                "id": "790",
                "period": {"start": "2015-01-01", "end": "2019-12-31"},
                "system": "phone",
                "value": "07700900999",
                "use": "mobile",
            },
            {"id": "791", "system": "email", "value": "ann@example.com", "use": "home"},
        ]
        telecom.extend(
            {
                "id": f"79{2 + i}",
                "period": {"start": "2020-01-01"},
                "system": "phone",
                "value": number,
                "use": "mobile",
            }
            for i, number in enumerate(mobiles)
        )
        resource["telecom"] = telecom
        resource["generalPractitioner"] = [
            {
                "id": "254406A3",
                "type": "Organization",
                "identifier": {
                    "system": "https://fhir.nhs.uk/Id/ods-organization-code",
                    "value": "Y12345",
                },
            }
        ]
    if deceased is not None:
        resource["deceasedDateTime"] = deceased
    if death_notification is not None:
        displays = {
            "1": "Informal - death notice received via an update from a local NHS Organisation",
            "2": "Formal - death notice received from Registrar of Deaths",
            "U": "Removed",
        }
        resource["extension"].append(
            {
                "url": f"{_UKCORE}/Extension-UKCore-DeathNotificationStatus",
                "extension": [
                    {
                        "url": "deathNotificationStatus",
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": "https://fhir.hl7.org.uk/CodeSystem/"
                                    "UKCore-DeathNotificationStatus",
                                    "version": "1.0.0",
                                    "code": death_notification,
                                    "display": displays[death_notification],
                                }
                            ]
                        },
                    },
                    {"url": "systemEffectiveDate", "valueDateTime": "2026-11-20T10:00:00+00:00"},
                ],
            }
        )
    return resource


def operation_outcome(
    code: str, display: str, issue: str, diagnostics: str | None = None
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "coding": [
            {
                "system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                "version": "1",
                "code": code,
                "display": display,
            }
        ]
    }
    entry: dict[str, Any] = {"severity": "error", "code": issue, "details": details}
    if diagnostics:
        entry["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [entry]}


def _default_patients() -> dict[str, dict[str, Any]]:
    return {
        Case.NORMAL: uk_core_patient(Case.NORMAL),
        Case.DECEASED: uk_core_patient(
            Case.DECEASED, deceased="2026-11-19T08:30:00+00:00", death_notification="2"
        ),
        Case.INFORMAL_DEATH: uk_core_patient(Case.INFORMAL_DEATH, death_notification="1"),
        Case.DEATH_REMOVED: uk_core_patient(Case.DEATH_REMOVED, death_notification="U"),
        Case.RESTRICTED: uk_core_patient(Case.RESTRICTED, restricted=True),
        Case.DIFFERENT_MOBILE: uk_core_patient(Case.DIFFERENT_MOBILE, mobiles=(OTHER_MOBILE,)),
        Case.SUPERSEDED: uk_core_patient(Case.SUPERSEDED_BY, version="5"),
        Case.SUPERSEDED_BY: uk_core_patient(Case.SUPERSEDED_BY, version="5"),
    }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scripted:
    status: int
    body: dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class FakePds(HttpFake):
    description = "the fake PDS"

    def __init__(
        self, *, token_lifetime: int = 599, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.clock = clock  # share a simulated clock with the client to test expiry
        self.private_key_pem, self._public_key = _key_pair()
        self.api_key = f"fake-api-key-{secrets.token_hex(8)}"
        self.key_id = "test-1"
        self.token_lifetime = token_lifetime
        self.patients = _default_patients()
        self.requests: list[RecordedRequest] = []
        self.token_requests = 0
        self.refused_assertions: list[str] = []
        self._tokens: dict[str, float] = {}
        self._jtis: set[str] = set()
        self._fail_next: deque[Scripted] = deque()
        self._fail_token_next: deque[Scripted] = deque()
        self._delay_next: deque[float] = deque()
        self._lock = threading.Lock()

    # -- running ---------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + PDS_PATH

    @property
    def token_url(self) -> str:
        return self.origin + TOKEN_PATH

    def credentials(self, **overrides: Any) -> PdsCredentials:
        values: dict[str, Any] = {
            "api_key": self.api_key,
            "key_id": self.key_id,
            "private_key_pem": self.private_key_pem,
            "token_url": self.token_url,
        }
        values.update(overrides)
        return PdsCredentials(**values)

    # -- scripting -------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        retry_after: str | None = None,
        body: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """The next Patient request gets this answer instead (X-Request-ID still mirrored
        unless `headers` says otherwise)."""
        headers = {**(headers or {}), **({"Retry-After": retry_after} if retry_after else {})}
        with self._lock:
            self._fail_next.append(Scripted(status, body, headers))

    def fail_token_next(self, status: int, body: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._fail_token_next.append(Scripted(status, body))

    def delay_next(self, seconds: float) -> None:
        with self._lock:
            self._delay_next.append(seconds)

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def patient_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(PDS_PATH)]

    # -- answering -------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> tuple[float, Scripted | None]:
        with self._lock:
            self.requests.append(request)
            delay = self._delay_next.popleft() if self._delay_next else 0.0
            if request.path == TOKEN_PATH:
                self.token_requests += 1
                scripted = self._fail_token_next.popleft() if self._fail_token_next else None
            else:
                scripted = self._fail_next.popleft() if self._fail_next else None
            return delay, scripted

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:  # noqa: C901 - PDS refuses in this order, one check each
        def refuse(status: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
            self.refused_assertions.append(description)
            return status, {"error": error, "error_description": description}

        if form.get("grant_type") != "client_credentials":
            return refuse(400, "unsupported_grant_type", "grant_type must be 'client_credentials'")
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            return refuse(400, "invalid_request", "Missing or invalid client_assertion_type")
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return refuse(400, "invalid_request", "Malformed JWT in client_assertion")
        if header.get("alg") != "RS512":
            return refuse(400, "invalid_request", "Invalid 'alg' header in JWT - must be 'RS512'")
        if header.get("kid") != self.key_id:
            return refuse(
                401, "invalid_request", "Invalid 'kid' header in JWT - no matching public key"
            )
        try:
            claims = jwt.decode(
                assertion,
                self._public_key,
                algorithms=["RS512"],
                audience=self.token_url,
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
            )
        except jwt.InvalidAudienceError:
            return refuse(
                401, "invalid_request", "Missing or invalid 'aud' claim in client_assertion JWT"
            )
        except jwt.ExpiredSignatureError:
            return refuse(
                400,
                "invalid_request",
                "Invalid 'exp' claim in client_assertion JWT - JWT has expired",
            )
        except jwt.InvalidSignatureError:
            return refuse(401, "invalid_request", "JWT signature verification failed")
        except jwt.PyJWTError as error:
            return refuse(400, "invalid_request", f"Invalid client_assertion JWT: {error}")
        now = self.clock()
        if claims["iss"] != self.api_key or claims["sub"] != self.api_key:
            return refuse(
                401, "invalid_request", "Invalid 'iss'/'sub' claims in client_assertion JWT"
            )
        if claims["exp"] > now + 300:
            return refuse(
                400,
                "invalid_request",
                "Invalid 'exp' claim in client_assertion JWT - more than 5 minutes in future",
            )
        with self._lock:
            if claims["jti"] in self._jtis:
                return refuse(
                    400, "invalid_request", "Non-unique 'jti' claim in client_assertion JWT"
                )
            self._jtis.add(claims["jti"])
            token = secrets.token_urlsafe(24)
            self._tokens[token] = now + self.token_lifetime
        return 200, {
            "access_token": token,
            "expires_in": str(self.token_lifetime),
            "token_type": "Bearer",
            "issued_at": str(int(now * 1000)),
        }

    def patient(
        self, path: str, headers: Message[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        echo = {
            name: headers[name] for name in ("X-Request-ID", "X-Correlation-ID") if name in headers
        }
        bearer = headers.get("Authorization", "")
        with self._lock:
            expiry = self._tokens.get(bearer.removeprefix("Bearer "))
        if not bearer.startswith("Bearer ") or expiry is None or expiry < self.clock():
            return (
                401,
                operation_outcome("ACCESS_DENIED", "Access Denied - Unauthorised", "forbidden"),
                echo,
            )
        request_id = headers.get("X-Request-ID")
        if request_id is None:
            return (
                400,
                operation_outcome(
                    "MISSING_VALUE",
                    "Required value is missing",
                    "required",
                    "Invalid request with error - X-Request-ID header must be supplied "
                    "to access this resource",
                ),
                echo,
            )
        if not _UUID.match(request_id):
            return (
                400,
                operation_outcome(
                    "INVALID_VALUE",
                    "Provided value is invalid",
                    "value",
                    f"Invalid value - '{request_id}' in header 'X-Request-ID'",
                ),
                echo,
            )
        number = path.removeprefix(PDS_PATH + "/Patient/")
        if not re.fullmatch(r"\d{10}", number) or number == Case.PDS_INVALID:
            return (
                400,
                operation_outcome("INVALID_RESOURCE_ID", "Resource Id is invalid", "value"),
                echo,
            )
        if number == Case.RATE_LIMITED:
            return (
                429,
                operation_outcome(
                    "TOO_MANY_REQUESTS",
                    "You have exceeded your application's rate limit",
                    "throttled",
                ),
                {**echo, "Retry-After": "7"},
            )
        if number == Case.SERVER_ERROR:
            return 500, operation_outcome("SERVICE_ERROR", "Service error", "exception"), echo
        if number == Case.INVALIDATED:
            return (
                404,
                operation_outcome(
                    "INVALIDATED_RESOURCE",
                    "Resource that has been marked as invalid was requested",
                    "not-found",
                ),
                echo,
            )
        resource = self.patients.get(number)
        if resource is None:
            return (
                404,
                operation_outcome("RESOURCE_NOT_FOUND", "Resource not found", "not-found"),
                echo,
            )
        version = resource["meta"]["versionId"]
        return 200, resource, {**echo, "ETag": f'W/"{version}"'}


class _Handler(QuietHandler):
    server: FakeServer[FakePds]

    def _send(
        self,
        status: int,
        body: dict[str, Any] | None,
        headers: Mapping[str, str],
        content_type: str,
    ) -> None:
        self.send_json(status, body, content_type=content_type, headers=headers)

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.read_body().decode()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        delay, scripted = fake._record(RecordedRequest("POST", self.path, dict(self.headers), form))
        time.sleep(delay)
        if self.path != TOKEN_PATH:
            self._send(404, None, {}, "application/json")
        elif scripted is not None:
            self._send(scripted.status, scripted.body, scripted.headers, "application/json")
        else:
            status, body = fake.token(form)
            self._send(status, body, {}, "application/json")

    def do_GET(self) -> None:
        fake = self.server.fake
        delay, scripted = fake._record(RecordedRequest("GET", self.path, dict(self.headers)))
        time.sleep(delay)
        if not self.path.startswith(PDS_PATH + "/Patient/"):
            self._send(404, None, {}, "application/fhir+json")
            return
        if scripted is not None:
            body = scripted.body or operation_outcome("SERVICE_ERROR", "scripted", "exception")
            echo = {"X-Request-ID": self.headers.get("X-Request-ID", "")}
            self._send(scripted.status, body, {**echo, **scripted.headers}, "application/fhir+json")
            return
        status, body, headers = fake.patient(self.path, self.headers)
        self._send(status, body, headers, "application/fhir+json")


FakePds.handler = _Handler
