"""SMS through Twilio's REST API, with the real `twilio` SDK.

`api_base_url` aims the SDK at another host (a fake API in tests, a proxy); without it the SDK talks
to Twilio itself, and then Ofcom's drama numbers are refused before any request is made.
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import structlog
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from schema.identifiers import is_fictional_mobile, mask_phone
from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    SendResult,
    TransientError,
)
from worker.providers.twilio.errors import classify_send_error

log = structlog.get_logger(__name__)


def rebase_url(url: str, base_url: str) -> str:
    """`url` with its scheme and host (any Twilio host) replaced by those of `base_url`."""
    target = urlsplit(url)
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + target.path
    return urlunsplit((base.scheme, base.netloc, path, target.query, target.fragment))


class BaseUrlHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, pooled, with a timeout, sending to `base_url` when one is set."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self.base_url:
            url = rebase_url(url, self.base_url)
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class TwilioSmsProvider:
    """One SDK client per provider (and per process), used by one thread at a time."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str | None,
        timeout: float = 10,
    ) -> None:
        self.account_sid = account_sid
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self.timeout = timeout
        self._auth_token = auth_token
        self._lock = threading.Lock()
        self._client: Client | None = None
        self._client_pid = 0

    def _get_client(self) -> Client:
        # A pooled connection inherited across fork() would be shared by two processes.
        if self._client is None or self._client_pid != os.getpid():
            http_client = BaseUrlHttpClient(self.api_base_url, self.timeout)
            self._client = Client(self.account_sid, self._auth_token, http_client=http_client)
            self._client_pid = os.getpid()
        return self._client

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "sms":
            raise ValueError(f"Twilio provider given a {outgoing.channel} message")
        masked = mask_phone(outgoing.to)
        if self.api_base_url is None and is_fictional_mobile(outgoing.to):
            raise PermanentError(
                f"{masked} is in Ofcom's drama range and would go to the real Twilio API",
                reason=PermanentReason.FICTIONAL_NUMBER,
            )
        message = self._create(outgoing, _sender(outgoing), masked)
        segments = _as_int(message.num_segments)
        log.info(
            "twilio.sent",
            to=masked,
            message_id=outgoing.message_id,
            sid=message.sid,
            segments=segments,
        )
        return SendResult(provider=self.name, provider_message_id=message.sid, segments=segments)

    def _create(self, outgoing: Outgoing, sender: dict[str, Any], masked: str) -> Any:
        """One create through the SDK; every failure as TransientError or PermanentError."""
        try:
            with self._lock:
                return self._get_client().messages.create(
                    to=outgoing.to, body=outgoing.body, **sender
                )
        except (TwilioRestException, TwilioServiceException) as error:
            failure = classify_send_error(int(error.status), error.code)
            log.warning(
                "twilio.refused",
                to=masked,
                message_id=outgoing.message_id,
                status=error.status,
                code=error.code,
            )
            raise failure from None
        except requests.Timeout as error:
            log.warning("twilio.timeout", to=masked, message_id=outgoing.message_id)
            raise TransientError("no answer from Twilio in time", code="timeout") from error
        except requests.RequestException as error:
            log.warning(
                "twilio.unreachable",
                to=masked,
                message_id=outgoing.message_id,
                error=type(error).__name__,
            )
            raise TransientError(
                f"could not reach Twilio: {type(error).__name__}", code="connection"
            ) from error


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
