"""Voice calls through Twilio's REST API, with the real `twilio` SDK: the call an escalation step
with `call: true` makes, and the TwiML it speaks.

The TwiML goes inline with the create (`twiml=`), so Twilio fetches nothing from us to start the
call: it reads the words inside a `<Gather numDigits="1">` whose action is our signed Gather
webhook, twice, then hangs up. Its final status comes to the call's StatusCallback.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import requests
import structlog
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client
from twilio.twiml.voice_response import Gather, VoiceResponse

from schema.identifiers import is_fictional_mobile, mask_phone
from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    SendResult,
    TransientError,
)
from worker.providers.twilio.client import BaseUrlHttpClient
from worker.providers.twilio.errors import classify_send_error

log = structlog.get_logger(__name__)

LANGUAGE = "en-GB"
RING_SECONDS = 30  # then Twilio gives up: `no-answer`
GATHER_SECONDS = 8  # silence after the words before the call hangs up
SAY_TIMES = 2


def call_twiml(words: str, gather_url: str, *, first: str | None = None) -> str:
    """The call: `first` once (if given), then `words` twice while listening for one key."""
    response = VoiceResponse()
    if first:
        response.say(first, language=LANGUAGE)
    gather = Gather(
        num_digits=1,
        action=gather_url,
        method="POST",
        timeout=GATHER_SECONDS,
        action_on_empty_result=False,
    )
    gather.say(words, language=LANGUAGE, loop=SAY_TIMES)
    response.append(gather)
    response.hangup()
    return str(response)


def spoken_twiml(words: str) -> str:
    """Words said once, then the call ends."""
    response = VoiceResponse()
    response.say(words, language=LANGUAGE)
    response.hangup()
    return str(response)


class TwilioVoiceProvider:
    """One SDK client per provider (and per process), used by one thread at a time."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str | None,
        timeout: float = 10,
        ring_seconds: int = RING_SECONDS,
    ) -> None:
        self.account_sid = account_sid
        self.api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self.timeout = timeout
        self.ring_seconds = ring_seconds
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
        if outgoing.channel != "voice":
            raise ValueError(f"Twilio voice provider given a {outgoing.channel} message")
        masked = mask_phone(outgoing.to)
        if self.api_base_url is None and is_fictional_mobile(outgoing.to):
            raise PermanentError(
                f"{masked} is in Ofcom's drama range and would go to the real Twilio API",
                reason=PermanentReason.FICTIONAL_NUMBER,
            )
        if not outgoing.call_from or not outgoing.gather_url:
            raise PermanentError(
                "no number to call from (voice.from_number) or nowhere to post the key pressed",
                reason=PermanentReason.REJECTED,
                code="no-caller",
            )
        call = self._create(outgoing, masked)
        log.info("twilio.called", to=masked, message_id=outgoing.message_id, sid=call.sid)
        return SendResult(provider=self.name, provider_message_id=str(call.sid))

    def _create(self, outgoing: Outgoing, masked: str) -> Any:
        """One create through the SDK; every failure as TransientError or PermanentError."""
        assert outgoing.gather_url is not None
        options: dict[str, Any] = {}
        if outgoing.status_callback:
            options = {"status_callback": outgoing.status_callback}
            options["status_callback_method"] = "POST"
        try:
            with self._lock:
                return self._get_client().calls.create(
                    to=outgoing.to,
                    from_=outgoing.call_from,
                    twiml=call_twiml(outgoing.body, outgoing.gather_url),
                    timeout=self.ring_seconds,
                    **options,
                )
        except (TwilioRestException, TwilioServiceException) as error:
            failure = classify_send_error(int(error.status), error.code)
            log.warning(
                "twilio.call_refused",
                to=masked,
                message_id=outgoing.message_id,
                status=error.status,
                code=error.code,
            )
            raise failure from None
        except requests.Timeout as error:
            log.warning("twilio.call_timeout", to=masked, message_id=outgoing.message_id)
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
