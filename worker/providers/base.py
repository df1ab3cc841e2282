"""What every provider takes and gives back, and the two ways a send can fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from schema.vocabulary import PermanentReason

__all__ = [
    "Outgoing",
    "PermanentError",
    "PermanentReason",
    "Provider",
    "SendResult",
    "TransientError",
]


@dataclass(frozen=True)
class Outgoing:
    """One message ready to go. `message_id` is ours; providers may use it for tracing only."""

    message_id: int
    channel: str  # "sms", "email" or "voice"
    to: str  # E.164 for SMS and calls, an address for email
    body: str  # SMS text, the plain-text part of an email, or the words a call speaks
    subject: str | None = None
    html: str | None = None
    sms_from: str | None = None  # E.164 sender number, or
    messaging_service_sid: str | None = None
    status_callback: str | None = None  # where the provider reports delivery
    call_from: str | None = None  # E.164 number a call comes from
    gather_url: str | None = None  # where a call posts the key pressed
    urgent: bool = False  # on the alerts queue: never paced, fails over at once
    validity_period_seconds: int | None = None  # the provider drops it if not sent by then


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_message_id: str
    segments: int | None = None


class TransientError(Exception):
    """Worth trying again later: network trouble, rate limiting, the provider's own 5xx."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class PermanentError(Exception):
    """Trying again would fail the same way."""

    def __init__(self, message: str, reason: PermanentReason, code: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = code


class Provider(Protocol):
    name: str

    def send(self, outgoing: Outgoing) -> SendResult:
        """Hand the message over, or raise TransientError / PermanentError."""
        ...
