"""Every request body has a ceiling, per route, counted while it streams in.

Starlette reads a whole body (`request.body()`, `request.form()`) before any check of ours can
run, and a Content-Length check misses `Transfer-Encoding: chunked`. So this one ASGI middleware,
outside everything else, refuses a declared length over the route's ceiling before the app is
called, and reads a body of undeclared length (chunked) itself, counting its `http.request`
chunks, before the app runs: past the ceiling it answers 413 at once and closes the
connection, so the rest is never read. Every route answers an oversized body the same way,
whatever it would have done first (a redirect to sign in, a 401, a 404), and at most one
ceiling's worth of a request is ever held.
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
    # A FHIR Patient with its EpisodeOfCare or Flag is a few KiB; a Bundle of them far under this.
    ("/fhir/", 256 * KIB),
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
    """Pure ASGI middleware: at most one route's ceiling of body is ever held here."""

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
        if declared is None:  # chunked, or no body: read it here, up to the ceiling
            ahead = await _read_ahead(receive, ceiling)
            if ahead is None:
                await _refuse(send, BodyTooLarge(ceiling))
                return
            receive = _replaying(ahead, receive)
        received = 0

        async def counted() -> Message:
            # uvicorn holds a declared length to its word; this is the belt to those braces.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > ceiling:
                    raise BodyTooLarge(ceiling)
            return message

        await self.app(scope, counted, send)


async def _read_ahead(receive: Receive, ceiling: int) -> list[Message] | None:
    """The body's messages, or None as soon as they pass the ceiling (the rest is not read)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > ceiling:
            return None
        if not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


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
