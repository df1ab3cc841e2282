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

MAX_WEBHOOK_BYTES = 64 * 1024


def public_url(request: Request) -> str:
    query = request.url.query
    return f"{get_settings().public_base_url}{request.url.path}" + (f"?{query}" if query else "")


async def verified_form(request: Request) -> FormData:
    """The posted form, if and only if Twilio signed it. 403 otherwise; 413/415 if malformed."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_WEBHOOK_BYTES):
        raise HTTPException(413, "request body too large")
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise HTTPException(413, "request body too large")
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "expected application/x-www-form-urlencoded")
    token = get_settings().twilio_auth_token
    signature = request.headers.get("x-twilio-signature", "")
    if not token or not signature:
        raise HTTPException(403, "missing Twilio signature")
    try:
        form = await request.form()
    except Exception:
        raise HTTPException(400, "malformed form body") from None
    if not RequestValidator(token).validate(public_url(request), form, signature):
        raise HTTPException(403, "invalid Twilio signature")
    return form
