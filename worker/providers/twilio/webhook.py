"""Twilio's webhooks: the signature, checked against the public URL Twilio called, and the fields
of a reply (`parse_inbound`) and of a delivery receipt (`parse_receipt`).

The URL is rebuilt from PUBLIC_BASE_URL, never from the request's Host header: behind a proxy
the two differ, and a forger controls the header. No auth token configured means no webhook
can be verified, so every one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from pathway.intake import MAX_BODY_CHARS
from schema.models import MessageState
from schema.settings import get_settings
from schema.vocabulary import PermanentReason
from worker.providers.twilio.errors import receipt_failure_reason
from worker.providers.twilio.statuses import receipt_state

# Twilio adds parameters without notice: an inbound SMS has about 25 today. The bytes are
# bounded before this (web/body_limit.py, per route); these bound what the parser builds.
WEBHOOK_FORM_LIMITS: dict[str, Any] = {
    "max_fields": 200,
    "max_files": 0,
    "max_part_size": 32 * 1024,
}


def public_url(request: Request) -> str:
    query = request.url.query
    return f"{get_settings().public_base_url}{request.url.path}" + (f"?{query}" if query else "")


async def verified_form(request: Request) -> FormData:
    """The posted form, if and only if Twilio signed it. 403 otherwise; 413/415 if malformed.

    Everything that needs no body is checked before a byte of it is read, so an unsigned or
    mistyped request costs less than a signed one; the web's body limit caps the bytes of the
    rest and answers 413 (an HTTPException raised while the form is read, passed on as it is).
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "expected application/x-www-form-urlencoded")
    token = get_settings().twilio_auth_token
    signature = request.headers.get("x-twilio-signature", "")
    if not token or not signature:
        raise HTTPException(403, "missing Twilio signature")
    try:
        form = await request.form(**WEBHOOK_FORM_LIMITS)
    except HTTPException:
        raise
    except Exception:
        raise HTTPException(400, "malformed form body") from None
    if not RequestValidator(token).validate(public_url(request), form, signature):
        raise HTTPException(403, "invalid Twilio signature")
    return form


@dataclass(frozen=True)
class InboundSms:
    sid: str
    sender: str
    to: str
    body: str


def parse_inbound(form: FormData) -> InboundSms:
    """A reply's fields, or 400/413 naming what is wrong."""
    sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    sender = str(form.get("From") or "")
    to = str(form.get("To") or "")
    body = form.get("Body") or ""
    if not isinstance(body, str):
        raise HTTPException(400, "Body must be text")
    if not sid or not sender or not to or len(sid) > 64 or len(sender) > 40 or len(to) > 40:
        raise HTTPException(400, "MessageSid, From and To are required")
    if len(body) > MAX_BODY_CHARS:
        raise HTTPException(413, f"Body longer than {MAX_BODY_CHARS} characters")
    return InboundSms(sid, sender, to, body)


@dataclass(frozen=True)
class Receipt:
    sid: str
    status: str  # Twilio's word, lower case
    error_code: str | None
    state: MessageState | None  # None: a status before `sent`, nothing to record
    reason: PermanentReason | None  # what a failure says about the recipient

    @property
    def detail(self) -> str:
        return f"provider reported {self.status}"


def parse_receipt(form: FormData) -> Receipt:
    """A delivery receipt's fields, or 400 when the sid or the status is missing."""
    sid = str(form.get("MessageSid") or "")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    error_code = str(form.get("ErrorCode") or "") or None
    if not sid or not status:
        raise HTTPException(400, "MessageSid and MessageStatus are required")
    return receipt_of(sid, status, error_code)


def receipt_of(sid: str, status: str, error_code: str | None) -> Receipt:
    """A receipt from Twilio's own words: the form's, or a spooled copy of them."""
    return Receipt(
        sid, status, error_code, receipt_state(status), receipt_failure_reason(error_code)
    )
