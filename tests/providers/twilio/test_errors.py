"""One map of Twilio's error codes answers both a refused send and a failed receipt."""

from __future__ import annotations

import pytest

from worker.providers.base import PermanentError, PermanentReason, TransientError
from worker.providers.twilio.errors import (
    PERMANENT_CODES,
    classify_send_error,
    receipt_failure_reason,
)
from worker.providers.twilio.statuses import receipt_state


@pytest.mark.parametrize(("code", "reason"), sorted(PERMANENT_CODES.items()))
def test_a_code_means_the_same_on_a_refused_send_and_on_a_failed_receipt(
    code: str, reason: PermanentReason
) -> None:
    refused = classify_send_error(400, int(code))

    assert isinstance(refused, PermanentError)
    assert (refused.reason, refused.code) == (reason, code)
    assert receipt_failure_reason(code) == reason


def test_an_unknown_code_is_a_rejection_on_send_and_says_nothing_on_a_receipt() -> None:
    refused = classify_send_error(400, 21408)

    assert isinstance(refused, PermanentError)
    assert refused.reason == PermanentReason.REJECTED
    assert receipt_failure_reason("21408") is None
    assert receipt_failure_reason(None) is None


def test_rate_limits_server_errors_and_credentials_are_worth_another_try() -> None:
    for status in (401, 403, 429, 500, 503):
        assert isinstance(classify_send_error(status, None), TransientError)


def test_statuses_before_sent_are_not_recorded() -> None:
    assert receipt_state("queued") is None
    assert receipt_state("sending") is None
    assert receipt_state("DELIVERED") == "delivered"
