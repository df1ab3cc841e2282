"""Every request body has a ceiling, per route, counted while it streams in.

Starlette reads a whole body (`request.body()`, `request.form()`) before any check of ours can
run, and a Content-Length check misses `Transfer-Encoding: chunked`. So this one ASGI middleware,
outside everything else, refuses a declared length over the route's ceiling before the app is
called, and counts the `http.request` chunks of any other body as the app reads them: past the
ceiling the read fails with 413 and the connection is closed, so the rest is never buffered.
Routes that read no body (a 404, a 401 given before a form is parsed) cost nothing either.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024

# (path or path prefix ending in "/", ceiling in bytes): the first that matches applies.
ROUTE_LIMITS: tuple[tuple[str, int], ...] = (
    # A status callback is about 15 short fields: far under 16 KiB.
    ("/twilio/status", 16 * KIB),
    # 1,600 characters of emoji are 19 KiB form-encoded, with the other fields and media URLs.
    ("/twilio/sms", 64 * KIB),
    ("/sign-in", 4 * KIB),
    ("/api/", 64 * KIB),
)
# Every other route: the dashboard's forms (an enrolment, a review or outcome note).
DEFAULT_LIMIT = 32 * KIB


def limit_for(path: str, limits: tuple[tuple[str, int], ...] = ROUTE_LIMITS) -> int:
    for route, ceiling in limits:
        if path == route or (route.endswith("/") and path.startswith(route)):
            return ceiling
    return DEFAULT_LIMIT


class BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so FastAPI answers it rather than wrapping it."""

    def __init__(self, ceiling: int) -> None:
        super().__init__(413, f"request body too large: at most {ceiling} bytes here")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    """Pure ASGI middleware: nothing is buffered here, only counted."""

    def __init__(self, app: ASGIApp, limits: tuple[tuple[str, int], ...] = ROUTE_LIMITS) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ceiling = limit_for(str(scope.get("path", "")), self.limits)
        declared = _declared_length(scope)
        if declared is not None and declared > ceiling:
            await _refuse(send, BodyTooLarge(ceiling))
            return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > ceiling:
                    exceeded = True
                    raise BodyTooLarge(ceiling)
            return message

        async def closing(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if exceeded:  # the rest of the body is still coming: close, never read it
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, counted, closing)
        except BodyTooLarge as error:
            if started:
                raise
            await _refuse(send, error)


async def _refuse(send: Send, error: BodyTooLarge) -> None:
    body = json.dumps({"detail": error.detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
