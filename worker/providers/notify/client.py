"""SMS through GOV.UK Notify with its maintained client, `notifications-python-client`.

Notify sends from templates: ours is one whose whole content is ((body)), and the text we
rendered is its personalisation. `reference` is our message id, so Notify's receipt names it.
Notify has no validity period; an alert it holds is still counted by the slow-delivery rule.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import requests
import structlog
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from schema.identifiers import mask_phone
from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    SendResult,
    TransientError,
)

log = structlog.get_logger(__name__)

NOTIFY_API = "https://api.notifications.service.gov.uk"
# The client logs each failed request with Notify's message; ours log it, masked, instead.
logging.getLogger("notifications_python_client").setLevel(logging.ERROR)


class NotifySmsProvider:
    """One API client per provider and process, used by one thread at a time (the client is
    not thread-safe)."""

    name = "notify"

    def __init__(
        self,
        api_key: str,
        template_id: str,
        *,
        base_url: str | None = None,
        sender_id: str | None = None,
        alert_sender_id: str | None = None,
        timeout: float = 10,
    ) -> None:
        self.template_id = template_id
        self.base_url = (base_url or NOTIFY_API).rstrip("/")
        self.sender_id = sender_id or None
        self.alert_sender_id = alert_sender_id or sender_id or None
        self.timeout = timeout
        self._api_key = api_key
        self._lock = threading.Lock()
        self._client: NotificationsAPIClient | None = None
        self._client_pid = 0

    def _get_client(self) -> NotificationsAPIClient:
        if self._client is None or self._client_pid != os.getpid():
            self._client = NotificationsAPIClient(
                self._api_key, base_url=self.base_url, timeout=self.timeout
            )
            self._client_pid = os.getpid()
        return self._client

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "sms":
            raise ValueError(f"Notify provider given a {outgoing.channel} message")
        masked = mask_phone(outgoing.to)
        answer = self._create(outgoing, masked)
        notification_id = str(answer.get("id") or "") if isinstance(answer, dict) else ""
        if not notification_id:
            raise TransientError("Notify answered without a notification id", code="no-id")
        log.info("notify.sent", to=masked, message_id=outgoing.message_id, id=notification_id)
        return SendResult(provider=self.name, provider_message_id=notification_id)

    def _create(self, outgoing: Outgoing, masked: str) -> Any:
        sender = self.alert_sender_id if outgoing.urgent else self.sender_id
        try:
            with self._lock:
                return self._get_client().send_sms_notification(
                    phone_number=outgoing.to,
                    template_id=self.template_id,
                    personalisation={"body": outgoing.body},
                    reference=str(outgoing.message_id),
                    sms_sender_id=sender,
                )
        except APIError as error:
            failure = classify_notify_error(error)
            log.warning(
                "notify.refused",
                to=masked,
                message_id=outgoing.message_id,
                status=error.status_code,
                code=failure.code,
            )
            raise failure from None


def classify_notify_error(error: APIError) -> TransientError | PermanentError:
    """What a failed send means. Notify's own message is left out: it can quote the number."""
    cause = error.__cause__
    if isinstance(cause, requests.Timeout):
        return TransientError("no answer from Notify in time", code="timeout")
    if isinstance(cause, requests.RequestException) and cause.response is None:
        return TransientError(f"could not reach Notify: {type(cause).__name__}", code="connection")
    status = error.status_code
    described = f"Notify answered HTTP {status}"
    # 403: our key is wrong or revoked, which an operator can fix: wait and retry, as for Twilio.
    if status in (403, 429) or status >= 500:
        return TransientError(described, code=f"notify-{status}")
    if status == 400 and _about_the_number(error):
        return PermanentError(
            described, reason=PermanentReason.INVALID_NUMBER, code="notify-invalid-number"
        )
    return PermanentError(described, reason=PermanentReason.REJECTED, code=f"notify-{status}")


def _about_the_number(error: APIError) -> bool:
    """A 400 whose errors are Notify's ValidationError on phone_number."""
    try:
        errors = error.response.json().get("errors") if error.response is not None else None
    except ValueError:
        return False
    return any(
        isinstance(e, dict) and "phone_number" in str(e.get("message", "")) for e in errors or []
    )
