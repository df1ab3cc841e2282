"""FHIR in: `POST /fhir/Patient` (a Patient, or a Bundle of a Patient and its EpisodeOfCare or
Flag), `POST /fhir/EpisodeOfCare`, `POST /fhir/Flag`, with the trust's staff-API bearer token.

The same rules as the HL7v2 feed (`pathway.integration`). Every request carries an
`X-Request-ID` (a UUID): with the calling token it is the idempotency key, so a request sent
again is answered as it was the first time and changes nothing; the same id with a different
body is refused (409). Errors are an OperationOutcome, one issue per problem, each naming its
element as FHIRPath does; a 4xx changes nothing. The request is stored with its answer in the
same transaction as its effect.
"""

from __future__ import annotations

import json
import re
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from messages.fhir import FhirValidationError, parse_enrolment
from messages.patient_events import FieldError, InvalidMessage
from pathway import integration_store
from pathway.integration import apply_event
from schema.db import session_scope
from schema.models import IntegrationSource, IntegrationStatus, Trust
from schema.settings import get_settings
from schema.trusts import trust_config
from schema.types import utcnow
from web.auth.identity import ApiClient, api_client
from web.body_limit import limit_for

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/fhir", include_in_schema=False)

FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = (FHIR_JSON, "application/json")
MAX_BODY_BYTES = limit_for("/fhir/")  # the edge's ceiling (web/body_limit.py), checked again here
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class _Answer(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def operation_outcome(issues: list[dict[str, Any]]) -> str:
    return json.dumps({"resourceType": "OperationOutcome", "issue": issues}, ensure_ascii=False)


def _issue(error: FieldError, *, header: bool = False) -> dict[str, Any]:
    missing = error.message.startswith(("no ", "missing"))
    issue: dict[str, Any] = {
        "severity": "error",
        "code": "required" if missing else "invalid",
        "diagnostics": str(error),
    }
    if not header:
        issue["expression"] = [error.location]
    return issue


def refused(status: int, errors: list[FieldError], *, header: bool = False) -> _Answer:
    return _Answer(status, operation_outcome([_issue(e, header=header) for e in errors]))


def _reply(status: int, body: str) -> Response:
    return Response(body, status_code=status, media_type=FHIR_JSON)


async def _read(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_TYPES:
        raise refused(
            415,
            [FieldError("Content-Type", f"send {FHIR_JSON} (or application/json)")],
            header=True,
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise refused(
                413, [FieldError("body", f"larger than {MAX_BODY_BYTES} bytes")], header=True
            )
    return bytes(body)


def _checked(request: Request, raw: bytes, accepted: tuple[str, ...]) -> tuple[str, Any]:
    request_id = request.headers.get("x-request-id", "")
    if not _UUID.match(request_id):
        raise refused(
            400,
            [
                FieldError(
                    "X-Request-ID",
                    "a UUID is required: it is what makes a request sent twice change nothing",
                )
            ],
            header=True,
        )
    try:
        body = json.loads(raw)
    except ValueError:
        raise refused(400, [FieldError("body", "not JSON")], header=True) from None
    kind = body.get("resourceType") if isinstance(body, dict) else None
    if kind not in accepted:
        raise refused(
            400, [FieldError("resourceType", f"{kind!r}: expected {' or '.join(accepted)}")]
        )
    return request_id.lower(), body


def _event_name(body: dict[str, Any]) -> str:
    kind = str(body.get("resourceType"))
    status = body.get("status")
    return f"{kind}.{status}" if isinstance(status, str) else kind


def _apply(client: ApiClient, request_id: str, raw: bytes, body: dict[str, Any]) -> tuple[int, str]:
    now = utcnow()
    sender = f"token:{client.token_id}"
    with session_scope() as session:
        trust = session.get(Trust, client.trust_id)
        assert trust is not None
        config = trust_config(trust)
        existing = integration_store.find(
            session,
            trust_id=trust.id,
            source=IntegrationSource.FHIR,
            sender=sender,
            message_id=request_id,
        )
        if existing is not None and existing.status in integration_store.DONE:
            if existing.body_sha256 != integration_store.digest(raw):
                raise refused(
                    409,
                    [FieldError("X-Request-ID", "already used for a different request")],
                    header=True,
                )
            return existing.response_status or 200, existing.response
        today = now.astimezone(config.zone).date()
        try:
            event = parse_enrolment(
                body, sender=sender, message_id=request_id, today=today, zone=config.zone
            )
        except FhirValidationError as error:
            raise refused(400, list(error.errors)) from None
        try:
            applied = apply_event(session, trust, config, event, now=now)
        except InvalidMessage as error:
            raise refused(422, list(error.errors)) from None
        status = 201 if applied.outcome == "enrolled" else 200
        answer = operation_outcome(
            [{"severity": "information", "code": "informational", "diagnostics": applied.note}]
        )
        integration_store.save(
            session,
            existing,
            trust_id=trust.id,
            source=IntegrationSource.FHIR,
            sender=sender,
            message_id=request_id,
            event=_event_name(body),
            status=IntegrationStatus.APPLIED,
            raw=raw if get_settings().integration_raw_retention_days > 0 else None,
            now=now,
            outcome=applied.outcome,
            patient_id=applied.patient_id,
            response=answer,
            response_status=status,
        )
        return status, answer


def _handle(
    client: ApiClient, request_id: str, raw: bytes, body: dict[str, Any]
) -> tuple[int, str]:
    try:
        try:
            return _apply(client, request_id, raw, body)
        except IntegrityError:  # the same request, at the same moment, was stored first
            return _apply(client, request_id, raw, body)
    except _Answer as answer:
        return answer.status, answer.body
    except Exception as error:  # a bug: kept as failed, and answered 500 so the sender retries
        _keep_failed(client, request_id, raw, body, error)
        return 500, operation_outcome(
            [{"severity": "error", "code": "exception", "diagnostics": "not applied; send again"}]
        )


def _keep_failed(
    client: ApiClient, request_id: str, raw: bytes, body: dict[str, Any], error: Exception
) -> None:
    log.error("fhir.handling_failed", error=type(error).__name__)
    try:
        with session_scope() as session:
            integration_store.keep_failed(
                session,
                trust_id=client.trust_id,
                source=IntegrationSource.FHIR,
                sender=f"token:{client.token_id}",
                message_id=request_id,
                event=_event_name(body),
                raw=raw,
                now=utcnow(),
                error=error,
            )
    except Exception:  # the database itself is down: the sender keeps the request
        log.warning("fhir.failed_not_kept")


async def _post(request: Request, client: ApiClient, accepted: tuple[str, ...]) -> Response:
    try:
        raw = await _read(request)
        request_id, body = _checked(request, raw, accepted)
    except _Answer as answer:
        return _reply(answer.status, answer.body)
    status, text = await run_in_threadpool(_handle, client, request_id, raw, body)
    return _reply(status, text)


@router.post("/Patient")
async def post_patient(request: Request, client: ApiClient = Depends(api_client)) -> Response:
    """A Patient (updates only), or a Bundle of a Patient and its EpisodeOfCare or Flag."""
    return await _post(request, client, ("Patient", "Bundle"))


@router.post("/EpisodeOfCare")
async def post_episode(request: Request, client: ApiClient = Depends(api_client)) -> Response:
    return await _post(request, client, ("EpisodeOfCare",))


@router.post("/Flag")
async def post_flag(request: Request, client: ApiClient = Depends(api_client)) -> Response:
    return await _post(request, client, ("Flag",))
