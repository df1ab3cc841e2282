"""Delivering one signed callback to a trust's endpoint, once. Retrying (`next_attempt_at`) and
keeping track belong to the caller, which keeps each callback in the database until a 2xx.

Every failure is worth retrying: a 5xx, 408 or 429 (at its Retry-After), a timeout, a refused
connection, and 4xx too (a receiver misconfigured, a secret not yet rotated on its side) — the
trust's record must not silently lose an entry, so only a day of failures ends the attempts,
and then a person is told."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import requests
import structlog

from messages.callbacks import Callback
from worker.providers.http_answers import retry_after_seconds

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    status: int | None  # HTTP status, None when no answer came
    retry_after: float | None  # seconds, when the receiver said
    reason: str  # short, for the logs and the coordinators: never the body


def deliver(
    callback: Callback,
    url: str,
    secrets: Sequence[bytes],
    *,
    session: requests.Session | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] = time.time,
) -> Delivery:
    now = clock()
    headers = callback.headers(secrets, timestamp=int(now))
    try:
        response = (session or requests).post(
            url, data=callback.body, headers=headers, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        outcome = Delivery(False, None, None, "timeout")
    except requests.RequestException as error:
        outcome = Delivery(False, None, None, f"unreachable: {type(error).__name__}")
    else:
        status = response.status_code
        if 200 <= status < 300:
            outcome = Delivery(True, status, None, "delivered")
        else:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=now)
            outcome = Delivery(False, status, retry_after, f"HTTP {status}")
    log.info(
        "callback.attempt",
        idempotency_key=callback.idempotency_key,
        event_type=callback.event_type.value,
        delivered=outcome.delivered,
        status=outcome.status,
        reason=outcome.reason,
    )
    return outcome
