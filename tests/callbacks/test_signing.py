"""Signing and verifying callbacks: the header contract a trust's developer implements."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messages.callbacks import (
    GIVE_UP_AFTER,
    EventType,
    SignatureError,
    build_callback,
    canonical_json,
    next_attempt_at,
    sign,
    signature_header,
    verify,
)
from tests.conftest import ROOT

SECRET = b"s" * 32
OTHER = b"o" * 32
NOW = 1_764_583_200
CREATED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def callback() -> bytes:
    return build_callback(
        EventType.FLAG_RAISED,
        {"resourceType": "Flag", "status": "active"},
        idempotency_key="flag-77-raised",
        created=CREATED,
        trust="RXX",
    ).body


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_as_documented() -> None:
    body = callback()
    expected = hmac.new(SECRET, f"{NOW}.".encode() + body, hashlib.sha256).hexdigest()
    assert signature_header(body, [SECRET], timestamp=NOW) == f"t={NOW},v1={expected}"


def test_a_correctly_signed_body_verifies_and_returns_its_timestamp() -> None:
    body = callback()
    header = signature_header(body, [SECRET], timestamp=NOW)
    assert verify(body, header, [SECRET], now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda b, h: (b + b" ", h), "no signature matches"),
        (lambda b, h: (b, h.replace("t=", "t=1")), "timestamp outside the tolerance"),
        (lambda b, h: (b, h.split(",")[0]), "no v1 signature"),
        (lambda b, h: (b, h.split(",")[1]), "no timestamp"),
        (lambda b, h: (b, None), "no X-SafetyNet-Signature header"),
    ],
)
def test_a_changed_body_a_replay_or_a_broken_header_is_refused(mutate, reason) -> None:  # type: ignore[no-untyped-def]
    body = callback()
    header = signature_header(body, [SECRET], timestamp=NOW)
    changed_body, changed_header = mutate(body, header)
    with pytest.raises(SignatureError, match=reason):
        verify(changed_body, changed_header, [SECRET], now=NOW)


def test_an_old_timestamp_is_refused_even_with_a_good_signature() -> None:
    body = callback()
    header = signature_header(body, [SECRET], timestamp=NOW)
    with pytest.raises(SignatureError, match="replay"):
        verify(body, header, [SECRET], now=NOW + 301)


def test_during_a_change_of_secret_either_secret_verifies() -> None:
    body = callback()
    header = signature_header(body, [SECRET, OTHER], timestamp=NOW)
    assert verify(body, header, [OTHER], now=NOW) == NOW
    assert verify(body, header, [SECRET], now=NOW) == NOW
    with pytest.raises(SignatureError):
        verify(body, header, [b"x" * 32], now=NOW)


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        sign(b"{}", b"short", timestamp=NOW)


def test_the_body_is_canonical_json_with_the_idempotency_key_as_its_id() -> None:
    body = callback()
    assert body == canonical_json(
        {
            "id": "flag-77-raised",
            "type": "flag.raised",
            "created": "2026-12-01T10:00:00+00:00",
            "trust": "RXX",
            "resource": {"resourceType": "Flag", "status": "active"},
        }
    )
    assert body.startswith(b'{"created":')
    assert body == callback()  # the same callback re-sent is the same bytes


@given(st.binary(max_size=500), st.integers(min_value=0, max_value=2**40))
def test_any_body_signed_verifies_and_any_other_body_does_not(body: bytes, t: int) -> None:
    header = signature_header(body, [SECRET], timestamp=t)
    assert verify(body, header, [SECRET], now=t) == t
    with pytest.raises(SignatureError):
        verify(body + b"x", header, [SECRET], now=t)


def test_retries_back_off_from_30_seconds_to_an_hour_and_stop_after_a_day() -> None:
    first = CREATED
    waits = []
    now, attempts = first, 1
    while (when := next_attempt_at(first, attempts, now)) is not None:
        waits.append(when - now)
        now, attempts = when, attempts + 1
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(waits) == timedelta(hours=1)
    assert now == first + GIVE_UP_AFTER  # the last try is exactly a day after the first
    assert len(waits) < 40


def test_a_retry_after_longer_than_the_backoff_is_respected() -> None:
    when = next_attempt_at(CREATED, 1, CREATED, retry_after=600)
    assert when == CREATED + timedelta(minutes=10)


def test_the_test_vector_published_in_the_integration_guide_holds() -> None:
    body = (
        b'{"created":"2026-12-01T02:03:41+00:00","id":"test-vector-1","resource":'
        b'{"resourceType":"Flag","status":"active"},"trust":"RXX","type":"flag.raised"}'
    )
    secret = b"whsec_example_0123456789abcdef0123"
    header = signature_header(body, [secret], timestamp=1764554621)
    guide = (ROOT / "docs" / "integration.md").read_text()
    assert header.split(",")[1] in guide
    assert body.decode() in guide
    assert verify(body, header, [secret], now=1764554621) == 1764554621
