"""The staff session: a signed, HTTP-only, SameSite=Lax cookie; nothing secret inside it.

The cookie carries the staff member's id, a per-session CSRF token and their session epoch. It
is signed with the service's secret key (itsdangerous) and expires after a shift's length; it
stops working as soon as the epoch stored for the staff member moves on, which signing out and
setting a new password both do. So a copied cookie dies with sign-out, on every device.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from schema.settings import get_settings

COOKIE = "safetynet_session"
MAX_AGE_SECONDS = 12 * 60 * 60
_SALT = "safetynet.session.v1"


@dataclass(frozen=True)
class SessionData:
    csrf: str
    staff_id: int | None = None  # None before sign-in: the sign-in form's own CSRF token
    epoch: int = 0


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key, salt=_SALT)


def read_session(request: Request) -> SessionData | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also covers an expired signature
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    staff_id, epoch = data.get("staff_id"), data.get("epoch")
    return SessionData(
        csrf=data["csrf"],
        staff_id=staff_id if isinstance(staff_id, int) else None,
        epoch=epoch if isinstance(epoch, int) else -1,
    )


def write_session(response: Response, data: SessionData) -> None:
    value = _serializer().dumps({"csrf": data.csrf, "staff_id": data.staff_id, "epoch": data.epoch})
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().public_base_url.startswith("https://"),
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().public_base_url.startswith("https://"),
    )
