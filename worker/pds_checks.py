"""PDS checks from the worker: the client made from the settings (once per process), a batch of
due checks asked outside any transaction, and each answer handed to `pathway.pds_checks`.

When PDS fails (a 429, a 5xx, a time-out, our credentials refused) the check is tried again
later, and the rest of the batch waits for the same moment rather than hammering a service that
is struggling: no check is lost, each stays owed in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import structlog

from pathway import pds_checks
from pathway.pds_checks import PdsAnswer, PdsOutcome
from schema.db import session_scope
from schema.settings import Settings
from schema.types import utcnow
from worker.providers.pds import (
    DeathNotification,
    Found,
    InvalidNumber,
    NotFound,
    PdsAuthError,
    PdsClient,
    PdsCredentials,
    PdsError,
    PdsPatient,
    PdsResult,
    PdsTransientError,
    Superseded,
    TokenSource,
)

log = structlog.get_logger(__name__)


@lru_cache(maxsize=4)
def _client(
    base_url: str, token_url: str, api_key: str, key_path: str, key_id: str, timeout: float
) -> PdsClient:
    credentials = PdsCredentials.from_files(
        api_key=api_key, key_id=key_id, private_key_path=Path(key_path), token_url=token_url
    )
    return PdsClient(base_url, TokenSource(credentials, timeout=timeout), timeout=timeout)


def pds_client(settings: Settings) -> PdsClient | None:
    """The process's PDS client, or None when PDS checks are off."""
    if not settings.pds_enabled:
        return None
    return _client(
        settings.pds_base_url,
        settings.pds_token_url,
        settings.pds_api_key,
        settings.pds_private_key_path,
        settings.pds_key_id,
        settings.pds_timeout_seconds,
    )


def reset_pds_client() -> None:
    _client.cache_clear()


def _how_dead(patient: PdsPatient) -> str:
    if patient.deceased_date_time:
        return "date of death"
    if patient.death_notification == DeathNotification.FORMAL:
        return "formal notice"
    return "informal notice"


def _known(outcome: PdsOutcome, patient: PdsPatient) -> PdsAnswer:
    return PdsAnswer(
        outcome=outcome,
        nhs_number=patient.nhs_number,
        deceased=patient.deceased,
        death=_how_dead(patient) if patient.deceased else "",
        restricted=patient.restricted,
        mobiles=patient.mobiles,
        version=patient.version,
    )


def answer_of(result: PdsResult) -> PdsAnswer:
    """The client's result in the pathway's words."""
    if isinstance(result, Found):
        return _known(PdsOutcome.FOUND, result.patient)
    if isinstance(result, Superseded):
        return _known(PdsOutcome.SUPERSEDED, result.patient)
    if isinstance(result, NotFound):
        return PdsAnswer(PdsOutcome.NOT_FOUND)
    assert isinstance(result, InvalidNumber)
    return PdsAnswer(PdsOutcome.INVALID)


def check_due(
    settings: Settings,
    *,
    client: PdsClient | None = None,
    now: Callable[[], datetime] = utcnow,
) -> int:
    """One batch of due checks. Returns how many PDS answered."""
    client = client or pds_client(settings)
    if client is None:
        return 0
    with session_scope() as session:
        due = pds_checks.claim_due(session, now=now(), limit=settings.pds_check_batch_size)
    every = timedelta(hours=settings.pds_check_every_hours)
    answered = 0
    for index, (patient_id, nhs_number) in enumerate(due):
        try:
            result = client.get_patient(
                nhs_number, correlation_id=f"safetynet-patient-{patient_id}"
            )
        except Exception as error:
            until = _failed(patient_id, error, now())
            if until is not None and isinstance(error, PdsTransientError | PdsAuthError):
                rest = [other for other, _ in due[index + 1 :]]
                with session_scope() as session:
                    pds_checks.postpone(session, rest, until)
                break
            continue
        with session_scope() as session:
            pds_checks.apply_answer(session, patient_id, answer_of(result), now=now(), every=every)
        answered += 1
    return answered


def _failed(patient_id: int, error: Exception, now: datetime) -> datetime | None:
    retry_after = error.retry_after if isinstance(error, PdsError) else None
    if isinstance(error, PdsAuthError):
        log.error("pds.check_refused", patient_id=patient_id, status=error.status, code=error.code)
    elif isinstance(error, PdsError):
        log.warning(
            "pds.check_failed",
            patient_id=patient_id,
            error=type(error).__name__,
            status=error.status,
            code=error.code,
        )
    else:  # a bug, or a library's surprise: the check is owed all the same
        log.exception("pds.check_error", patient_id=patient_id)
    with session_scope() as session:
        return pds_checks.record_failure(session, patient_id, now=now, retry_after=retry_after)
