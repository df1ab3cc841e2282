"""Twilio's delivery statuses as our message states. Statuses before `sent` (`queued`,
`sending`, `accepted`) are not ours to record: the send task has already moved the message on."""

from __future__ import annotations

from schema.models import MessageState

RECEIPT_STATES: dict[str, MessageState] = {
    "sent": MessageState.SENT,
    "delivered": MessageState.DELIVERED,
    "undelivered": MessageState.UNDELIVERED,
    "failed": MessageState.FAILED,
}


def receipt_state(status: str) -> MessageState | None:
    return RECEIPT_STATES.get(status.lower())
