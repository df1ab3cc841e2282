"""What the SMS and the voice providers share: the SDK's HTTP client pointed at a base URL, one
SDK client per process, the drama-range guard, and Twilio's failures read once as
TransientError or PermanentError."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import structlog
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from schema.identifiers import is_fictional_mobile, mask_phone
from worker.providers.base import Outgoing, PermanentError, PermanentReason, TransientError
from worker.providers.twilio.errors import classify_send_error

log = structlog.get_logger(__name__)

Created = TypeVar("Created")


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


class TwilioRest:
    """One SDK client per provider (and per process), used by one thread at a time."""

    name = "twilio"

    def __init__(
        self, account_sid: str, auth_token: str, api_base_url: str | None, timeout: float = 10
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

    def _masked_unless_fictional(self, outgoing: Outgoing) -> str:
        """The masked number, after refusing a drama-range number bound for the real API."""
        masked = mask_phone(outgoing.to)
        if self.api_base_url is None and is_fictional_mobile(outgoing.to):
            raise PermanentError(
                f"{masked} is in Ofcom's drama range and would go to the real Twilio API",
                reason=PermanentReason.FICTIONAL_NUMBER,
            )
        return masked

    def _create(
        self,
        outgoing: Outgoing,
        masked: str,
        create: Callable[[Client], Created],
        refused_event: str,
        timeout_event: str,
    ) -> Created:
        """One create through the SDK; every failure as TransientError or PermanentError."""
        try:
            with self._lock:
                return create(self._get_client())
        except (TwilioRestException, TwilioServiceException) as error:
            failure = classify_send_error(int(error.status), error.code)
            log.warning(
                refused_event,
                to=masked,
                message_id=outgoing.message_id,
                status=error.status,
                code=error.code,
            )
            raise failure from None
        except requests.Timeout as error:
            log.warning(timeout_event, to=masked, message_id=outgoing.message_id)
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
