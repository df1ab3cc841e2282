"""Voice calls through Twilio's REST API, with the real `twilio` SDK: the call an escalation step
with `call: true` makes, and the TwiML it speaks.

The TwiML goes inline with the create (`twiml=`), so Twilio fetches nothing from us to start the
call: it reads the words inside a `<Gather numDigits="1">` whose action is our signed Gather
webhook, twice, then hangs up. Its final status comes to the call's StatusCallback.
"""

from __future__ import annotations

from typing import Any

import structlog
from twilio.twiml.voice_response import Gather, VoiceResponse

from worker.providers.base import Outgoing, PermanentError, PermanentReason, SendResult
from worker.providers.twilio.rest import TwilioRest

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


class TwilioVoiceProvider(TwilioRest):
    """Calls through the SDK's Calls resource."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str | None,
        timeout: float = 10,
        ring_seconds: int = RING_SECONDS,
    ) -> None:
        super().__init__(account_sid, auth_token, api_base_url, timeout)
        self.ring_seconds = ring_seconds

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "voice":
            raise ValueError(f"Twilio voice provider given a {outgoing.channel} message")
        masked = self._masked_unless_fictional(outgoing)
        if not outgoing.call_from or not outgoing.gather_url:
            raise PermanentError(
                "no number to call from (voice.from_number) or nowhere to post the key pressed",
                reason=PermanentReason.REJECTED,
                code="no-caller",
            )
        call = self._call(outgoing, masked)
        log.info("twilio.called", to=masked, message_id=outgoing.message_id, sid=call.sid)
        return SendResult(provider=self.name, provider_message_id=str(call.sid))

    def _call(self, outgoing: Outgoing, masked: str) -> Any:
        assert outgoing.gather_url is not None
        gather_url = outgoing.gather_url
        options: dict[str, Any] = {}
        if outgoing.status_callback:
            options = {"status_callback": outgoing.status_callback}
            options["status_callback_method"] = "POST"
        return self._create(
            outgoing,
            masked,
            lambda client: client.calls.create(
                to=outgoing.to,
                from_=outgoing.call_from,
                twiml=call_twiml(outgoing.body, gather_url),
                timeout=self.ring_seconds,
                **options,
            ),
            refused_event="twilio.call_refused",
            timeout_event="twilio.call_timeout",
        )
