"""Twilio's webhook signature, checked against the public URL Twilio called.

The URL is rebuilt from PUBLIC_BASE_URL, never from the request's Host header: behind a proxy
the two differ, and a forger controls the header. No auth token configured means no webhook
can be verified, so every one is refused.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from schema.settings import get_settings
from web.body_limit import BodyTooLarge
from web.forms import WEBHOOK_FORM_LIMITS, read_form


def public_url(request: Request) -> str:
    query = request.url.query
    return f"{get_settings().public_base_url}{request.url.path}" + (f"?{query}" if query else "")


async def verified_form(request: Request) -> FormData:
    """The posted form, if and only if Twilio signed it. 403 otherwise; 413/415 if malformed.

    Everything that needs no body is checked before a byte of it is read, so an unsigned or
    mistyped request costs less than a signed one; web.body_limit caps the bytes of the rest.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "expected application/x-www-form-urlencoded")
    token = get_settings().twilio_auth_token
    signature = request.headers.get("x-twilio-signature", "")
    if not token or not signature:
        raise HTTPException(403, "missing Twilio signature")
    try:
        form = await read_form(request, WEBHOOK_FORM_LIMITS)
    except BodyTooLarge:
        raise
    except Exception:
        raise HTTPException(400, "malformed form body") from None
    if not RequestValidator(token).validate(public_url(request), form, signature):
        raise HTTPException(403, "invalid Twilio signature")
    return form
