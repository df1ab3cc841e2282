"""A client for NHS England's Personal Demographics Service FHIR API (R4): `GET /Patient/{id}`.

`get_patient` answers Found, Superseded, NotFound or InvalidNumber, or raises a PdsError when
no answer could be had (PdsTransientError carries PDS's Retry-After). The NHS number is checked
here before any request, and never logged: logs carry our X-Request-ID, the status and PDS's
error code.

`requests` (already installed with twilio) with a timeout on every call; the token comes from a
`TokenSource`. A 401 renews the token once, in case PDS revoked it before its time.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import requests
import structlog

from schema.identifiers import InvalidIdentifier, check_nhs_number
from worker.providers.http_answers import json_body, retry_after_seconds
from worker.providers.pds.auth import TokenSource
from worker.providers.pds.model import (
    InvalidNumber,
    NotFound,
    PdsAuthError,
    PdsError,
    PdsRequestError,
    PdsResult,
    PdsTransientError,
    UnreadablePatient,
    read_operation_outcome,
    read_patient,
    result_for,
)

log = structlog.get_logger(__name__)

FHIR_JSON = "application/fhir+json"


def _today() -> date:
    return datetime.now(UTC).date()


class PdsClient:
    """One per process; safe to share between threads (requests sessions are not, so each
    thread gets its own)."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        timeout: float = 10.0,
        today: Callable[[], date] = _today,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.timeout = timeout
        self.today = today
        self.clock = clock
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def get_patient(self, nhs_number: str, *, correlation_id: str | None = None) -> PdsResult:
        try:
            asked = check_nhs_number(nhs_number)
        except InvalidIdentifier as error:
            return InvalidNumber(str(error))
        correlation_id = correlation_id or str(uuid.uuid4())
        response, request_id = self._get(asked, correlation_id)
        if response.status_code == 401:
            self.tokens.invalidate()
            response, request_id = self._get(asked, correlation_id)
        try:
            result = self._read(asked, response, request_id)
        except PdsError as error:
            log.warning(
                "pds.lookup_failed",
                request_id=request_id,
                status=error.status,
                code=error.code,
                retry_after=error.retry_after,
                error=type(error).__name__,
            )
            raise
        log.info(
            "pds.lookup",
            request_id=request_id,
            status=response.status_code,
            outcome=type(result).__name__,
        )
        return result

    def _get(self, asked: str, correlation_id: str) -> tuple[requests.Response, str]:
        request_id = str(uuid.uuid4())
        headers = {
            "Authorization": f"Bearer {self.tokens.token()}",
            "X-Request-ID": request_id,
            "X-Correlation-ID": correlation_id,
            "Accept": FHIR_JSON,
        }
        try:
            response = self._session().get(
                f"{self.base_url}/Patient/{asked}", headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise PdsTransientError("PDS did not answer in time", code="timeout") from None
        except requests.RequestException as error:
            raise PdsTransientError(
                f"PDS unreachable: {type(error).__name__}", code="connection"
            ) from None
        return response, request_id

    def _read(self, asked: str, response: requests.Response, request_id: str) -> PdsResult:
        status = response.status_code
        echoed = response.headers.get("X-Request-ID")
        if echoed and echoed.lower() != request_id.lower():
            # Another request's answer (a proxy mixing responses) could be another patient.
            raise PdsTransientError("PDS answered a different request", status=status)
        body = json_body(response)
        issue = read_operation_outcome(body)
        code = issue.code if issue else None
        if status == 200:
            try:
                return result_for(asked, read_patient(body, self.today()))
            except UnreadablePatient as error:
                raise PdsTransientError(
                    f"PDS sent an unreadable Patient ({error})", status=200
                ) from None
        if status == 404 and code in ("RESOURCE_NOT_FOUND", "INVALIDATED_RESOURCE"):
            return NotFound(invalidated=code == "INVALIDATED_RESOURCE")
        if status == 404:
            # Not PDS saying "no such patient" (a wrong base URL, a proxy's page): concluding
            # the number is unknown would be wrong for every patient at once.
            raise PdsRequestError("HTTP 404 without PDS's OperationOutcome", status=404)
        if status == 400 and code == "INVALID_RESOURCE_ID":
            return InvalidNumber("PDS: not a valid NHS number (INVALID_RESOURCE_ID)")
        retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=self.clock())
        if status in (408, 429) or status >= 500:
            raise PdsTransientError(
                f"PDS answered HTTP {status}", status=status, code=code, retry_after=retry_after
            )
        if status in (401, 403):
            raise PdsAuthError(f"PDS refused our access: HTTP {status}", status=status, code=code)
        raise PdsRequestError(f"PDS refused the request: HTTP {status}", status=status, code=code)
