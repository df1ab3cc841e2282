"""Signed callbacks to a trust's endpoint: the body, its signature, its verification, and when to
try again. PURE: bytes and times in, bytes and times out.

The contract (the same shape as Stripe's and GitHub's webhooks):

    POST <the trust's callback URL>
    Content-Type: application/json
    Idempotency-Key: <the body's "id">
    X-SafetyNet-Event: communication.sent
    X-SafetyNet-Signature: t=1764583200,v1=<hex HMAC-SHA256>

    {"created":"2026-12-01T10:00:00+00:00","id":"...","resource":{...FHIR...},"trust":"RXX",
     "type":"communication.sent"}

`v1` is HMAC-SHA256, keyed with the trust's callback secret, of the timestamp, a full stop and
the raw body: `f"{t}.".encode() + body`. During a change of secret the header carries one `v1`
per secret in force; a receiver accepts the request when any matches one of its secrets. A
receiver should refuse a timestamp more than five minutes from its own clock (replays) and
treat a second delivery of the same `id` as already done: we retry until we see a 2xx, so the
same callback can arrive more than once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

SIGNATURE_HEADER = "X-SafetyNet-Signature"
EVENT_HEADER = "X-SafetyNet-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TOLERANCE_SECONDS = 300
MIN_SECRET_BYTES = 32

# Retries: 30 s doubling to an hour, then hourly, until a day after the first attempt.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)


class EventType(StrEnum):
    COMMUNICATION_SENT = "communication.sent"
    COMMUNICATION_UPDATED = "communication.updated"  # a delivery receipt, a failure
    COMMUNICATION_RECEIVED = "communication.received"  # a reply
    FLAG_RAISED = "flag.raised"
    FLAG_UPDATED = "flag.updated"  # acknowledged, escalated, resolved


class SignatureError(ValueError):
    """Why a callback's signature was not accepted (no secret or body in the message)."""


@dataclass(frozen=True)
class Callback:
    idempotency_key: str
    event_type: EventType
    body: bytes  # sent as is: the bytes signed are the bytes sent

    def headers(self, secrets: Sequence[bytes], *, timestamp: int) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: self.idempotency_key,
            EVENT_HEADER: self.event_type.value,
            SIGNATURE_HEADER: signature_header(self.body, secrets, timestamp=timestamp),
        }


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same content always makes the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build_callback(
    event_type: EventType,
    resource: Mapping[str, Any],
    *,
    idempotency_key: str,
    created: datetime,
    trust: str,
) -> Callback:
    if created.tzinfo is None:
        raise ValueError("created needs a time zone")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("an idempotency key is 1 to 200 characters")
    body = canonical_json(
        {
            "id": idempotency_key,
            "type": event_type.value,
            "created": created.isoformat(),
            "trust": trust,
            "resource": resource,
        }
    )
    return Callback(idempotency_key, event_type, body)


def _check_secret(secret: bytes) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a callback secret is at least {MIN_SECRET_BYTES} bytes")
    return secret


def sign(body: bytes, secret: bytes, *, timestamp: int) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(_check_secret(secret), message, hashlib.sha256).hexdigest()


def signature_header(body: bytes, secrets: Sequence[bytes], *, timestamp: int) -> str:
    if not secrets:
        raise ValueError("no callback secret")
    return ",".join(
        [f"t={timestamp}", *(f"v1={sign(body, s, timestamp=timestamp)}" for s in secrets)]
    )


def verify(
    body: bytes,
    header: str | None,
    secrets: Sequence[bytes],
    *,
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """The signed timestamp when `header` signs `body` with one of `secrets` within `tolerance`
    seconds of `now`; SignatureError otherwise."""
    if not header:
        raise SignatureError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp (t=) in the signature header")
    if not signatures:
        raise SignatureError("no v1 signature in the signature header")
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance: a replay, or a clock adrift")
    for secret in secrets:
        expected = sign(body, secret, timestamp=timestamp)
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return timestamp
    raise SignatureError("no signature matches")


def next_attempt_at(
    first_attempt_at: datetime,
    attempts: int,
    now: datetime,
    *,
    retry_after: float | None = None,
) -> datetime | None:
    """When to try again after `attempts` failed tries (the first at `first_attempt_at`), or None
    once a day has passed: then a person must be told the trust's record is missing it."""
    wait = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    if retry_after is not None:
        wait = max(wait, min(timedelta(seconds=retry_after), LONGEST_WAIT))
    when = now + wait
    deadline = first_attempt_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    return when if when < deadline else deadline
