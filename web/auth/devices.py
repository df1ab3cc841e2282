"""Device cookies (OWASP): a browser that has signed in to an account before is known to it.

After a right password the browser gets a signed cookie naming the account (hashed). Its later
sign-ins to that account are counted on their own, apart from the many-addresses count a
stranger can fill (web.auth.throttle), so an attack on an account never keeps its owner out.
"""

from __future__ import annotations

import hmac

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from schema.settings import get_settings

COOKIE = "safetynet_device"
MAX_AGE_SECONDS = 365 * 24 * 60 * 60
_SALT = "safetynet.device.v1"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key, salt=_SALT)


def is_known(request: Request, account: str) -> bool:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return False
    try:
        value = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return False
    return isinstance(value, str) and hmac.compare_digest(value, account)


def remember(response: Response, account: str) -> None:
    response.set_cookie(
        COOKIE,
        _serializer().dumps(account),
        max_age=MAX_AGE_SECONDS,
        path="/sign-in",
        httponly=True,
        samesite="lax",
        secure=get_settings().public_base_url.startswith("https://"),
    )
