"""SMS through Twilio's REST API, with the real `twilio` SDK.

`api_base_url` aims the SDK at another host (a fake API in tests, a proxy); without it the SDK talks
to Twilio itself, and then Ofcom's drama numbers are refused before any request is made.
"""

from __future__ import annotations

from typing import Any

import structlog

from worker.providers.base import Outgoing, PermanentError, PermanentReason, SendResult
from worker.providers.twilio.rest import BaseUrlHttpClient, TwilioRest, rebase_url

__all__ = ["BaseUrlHttpClient", "TwilioSmsProvider", "rebase_url"]

log = structlog.get_logger(__name__)


class TwilioSmsProvider(TwilioRest):
    """SMS through the SDK's Messages resource."""

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "sms":
            raise ValueError(f"Twilio provider given a {outgoing.channel} message")
        masked = self._masked_unless_fictional(outgoing)
        sender = _sender(outgoing)
        message = self._create(
            outgoing,
            masked,
            lambda client: client.messages.create(to=outgoing.to, body=outgoing.body, **sender),
            refused_event="twilio.refused",
            timeout_event="twilio.timeout",
        )
        segments = _as_int(message.num_segments)
        log.info(
            "twilio.sent",
            to=masked,
            message_id=outgoing.message_id,
            sid=message.sid,
            segments=segments,
        )
        return SendResult(provider=self.name, provider_message_id=message.sid, segments=segments)


def _sender(outgoing: Outgoing) -> dict[str, Any]:
    """Who the SMS is from (a messaging service, or a number) and where its receipts go."""
    sender: dict[str, Any]
    if outgoing.messaging_service_sid:
        sender = {"messaging_service_sid": outgoing.messaging_service_sid}
    elif outgoing.sms_from:
        sender = {"from_": outgoing.sms_from}
    else:
        raise PermanentError(
            "no sender: neither a messaging service nor a from number is configured",
            reason=PermanentReason.REJECTED,
            code="no-sender",
        )
    if outgoing.status_callback:
        sender["status_callback"] = outgoing.status_callback
    if outgoing.validity_period_seconds:
        sender["validity_period"] = outgoing.validity_period_seconds
    return sender


def _as_int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None
