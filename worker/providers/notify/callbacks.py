"""GOV.UK Notify's callbacks: a delivery receipt and a received text message, each a JSON body
with the service's bearer token. No token configured means Notify is off: every one is refused.

Notify posts receipts to one URL for the service (not one per message); its `reference` is our
message id (we set it when sending) and its `id` Notify's, which must be the one we stored.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

from pathway.intake import MAX_BODY_CHARS
from schema.identifiers import InvalidIdentifier, parse_phone
from schema.models import MessageState
from schema.settings import get_settings
from schema.vocabulary import PermanentReason

# Notify's statuses for a text; the ones before delivery (created, sending, pending) record
# nothing: the send already moved the message to `sent`.
RECEIPT_STATES: dict[str, MessageState] = {
    "sent": MessageState.SENT,  # sent abroad: Notify gets no further receipt
    "delivered": MessageState.DELIVERED,
    "temporary-failure": MessageState.UNDELIVERED,  # the phone was off or its inbox full
    "permanent-failure": MessageState.FAILED,  # the number does not exist
    "technical-failure": MessageState.FAILED,  # Notify's own fault: not sent
}
FAILURE_REASONS: dict[str, PermanentReason] = {
    "permanent-failure": PermanentReason.INVALID_NUMBER,
}


@dataclass(frozen=True)
class NotifyReceipt:
    sid: str  # Notify's notification id
    status: str
    state: MessageState | None
    reason: PermanentReason | None
    message_id: int | None  # our reference

    @property
    def detail(self) -> str:
        return f"Notify reported {self.status}"


def receipt_of(sid: str, status: str) -> NotifyReceipt:
    """A receipt from Notify's own words (the callback's, or a spooled copy of them)."""
    return NotifyReceipt(
        sid, status, RECEIPT_STATES.get(status), FAILURE_REASONS.get(status), message_id=None
    )


@dataclass(frozen=True)
class NotifyInbound:
    sid: str
    sender: str
    to: str
    body: str


async def verified_json(request: Request) -> dict[str, Any]:
    """The posted JSON object, if and only if it carries the service's bearer token."""
    expected = get_settings().notify_callback_token
    if not expected:
        raise HTTPException(404, "Notify is not configured")
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(403, "invalid bearer token")
    try:
        payload = json.loads(await request.body())
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise HTTPException(400, "the body is not a JSON object")
    return payload


def parse_receipt(payload: dict[str, Any]) -> NotifyReceipt:
    sid = payload.get("id")
    status = payload.get("status")
    if not isinstance(sid, str) or not sid or len(sid) > 64:
        raise HTTPException(400, "id is required")
    if not isinstance(status, str) or not status:
        raise HTTPException(400, "status is required")
    reference = payload.get("reference")
    message_id = int(reference) if isinstance(reference, str) and reference.isdigit() else None
    receipt = receipt_of(sid, status.lower())
    return NotifyReceipt(receipt.sid, receipt.status, receipt.state, receipt.reason, message_id)


def parse_inbound(payload: dict[str, Any]) -> NotifyInbound:
    """A received text's fields, the numbers in E.164 as Twilio gives them, or 400/413."""
    sid = payload.get("id")
    source = payload.get("source_number")
    destination = payload.get("destination_number")
    body = payload.get("message")
    if not all(isinstance(v, str) and v for v in (sid, source, destination)):
        raise HTTPException(400, "id, source_number and destination_number are required")
    assert isinstance(sid, str) and isinstance(source, str) and isinstance(destination, str)
    if not isinstance(body, str):
        raise HTTPException(400, "message must be text")
    if len(sid) > 64 or len(source) > 40 or len(destination) > 40:
        raise HTTPException(400, "id or a number is too long")
    if len(body) > MAX_BODY_CHARS:
        raise HTTPException(413, f"message longer than {MAX_BODY_CHARS} characters")
    return NotifyInbound(sid, _e164(source), _e164(destination), body)


def _e164(number: str) -> str:
    """Notify writes numbers without the plus (447700900123) or nationally (07700900123)."""
    candidate = number if number.startswith(("+", "0")) else f"+{number}"
    try:
        return parse_phone(candidate)
    except InvalidIdentifier:
        return number  # stored as given: a person sees an unknown sender, never nothing
