"""The fields of Twilio's two voice webhooks, once `webhook.verified_form` has checked the
signature: the key pressed during a call (the Gather action) and the call's final status."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from starlette.datastructures import FormData

MAX_SID = 64


@dataclass(frozen=True)
class Gathered:
    call_sid: str
    digits: str  # the key pressed; empty if the caller pressed nothing


@dataclass(frozen=True)
class CallEnded:
    call_sid: str
    status: str  # Twilio's word, lower case: completed, busy, no-answer, failed, canceled, ...


def _sid(form: FormData) -> str:
    sid = str(form.get("CallSid") or "")
    if not sid or len(sid) > MAX_SID:
        raise HTTPException(400, "CallSid is required")
    return sid


def parse_gather(form: FormData) -> Gathered:
    digits = str(form.get("Digits") or "")
    if len(digits) > 32:
        raise HTTPException(400, "Digits too long")
    return Gathered(_sid(form), digits)


def parse_call_status(form: FormData) -> CallEnded:
    status = str(form.get("CallStatus") or "").lower()
    if not status or len(status) > 32:
        raise HTTPException(400, "CallStatus is required")
    return CallEnded(_sid(form), status)
