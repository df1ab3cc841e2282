"""What Twilio's error codes mean for a message, one map for both places Twilio reports one: the
answer to a send (`classify_send_error`) and a delivery receipt (`receipt_failure_reason`)."""

from __future__ import annotations

from worker.providers.base import PermanentError, PermanentReason, TransientError

PERMANENT_CODES: dict[str, PermanentReason] = {
    "21610": PermanentReason.UNSUBSCRIBED,  # the recipient replied STOP at the carrier
    "21211": PermanentReason.INVALID_NUMBER,  # not a valid phone number
    "21614": PermanentReason.INVALID_NUMBER,  # not a mobile number
    "30005": PermanentReason.INVALID_NUMBER,  # unknown destination handset
    "30006": PermanentReason.INVALID_NUMBER,  # landline or unreachable carrier
}


def classify_send_error(status: int, code: int | None) -> TransientError | PermanentError:
    """The exception a failed create turns into. Twilio's own message is left out: it can
    quote the recipient's number."""
    if code == status:  # the SDK's stand-in when the body carried no Twilio code
        code = None
    described = f"Twilio answered HTTP {status}" + (f" with code {code}" if code else "")
    reason = PERMANENT_CODES.get(str(code)) if code else None
    if reason is not None:
        return PermanentError(described, reason=reason, code=str(code))
    # 401/403 mean our credentials or account are wrong: an operator can fix that, so the
    # message waits and retries (and is logged) rather than failing for good.
    if status in (401, 403, 429) or status >= 500:
        return TransientError(described, code=str(code) if code else f"http-{status}")
    return PermanentError(
        described, reason=PermanentReason.REJECTED, code=str(code) if code else f"http-{status}"
    )


def receipt_failure_reason(error_code: str | None) -> PermanentReason | None:
    """What a failed or undelivered receipt's ErrorCode says about the recipient, if anything."""
    return PERMANENT_CODES.get(error_code or "")
