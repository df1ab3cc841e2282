"""Sign-in floods refused at the door: more than a few sign-ins in hand at once from one address.

A person signs in one attempt at a time; a flood sends a hundred at once. Each one that reached
the sign-in route would cost the event loop a form parse, a cookie check and a page (about half
a millisecond), and a hundred of those delay every webhook behind them. So this pure ASGI
middleware, before the body is read or a route is found, refuses a POST to /sign-in from an
address that already has CONCURRENT_PER_CLIENT in hand, in a few bytes. The counts of failures
(web.auth.throttle) then slow down the attempts that do get in.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from web.auth.throttle import SignInThrottle

log = structlog.get_logger(__name__)

SIGN_IN = "/sign-in"
REFUSAL = b"Too many sign-in attempts at once. Wait a moment and try again."


class SignInFloodGuard:
    def __init__(self, app: ASGIApp, throttle: Callable[[], SignInThrottle]) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != SIGN_IN or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "-"
        throttle = self.throttle()
        with throttle.attempt(client) as in_hand:
            if in_hand:
                await self.app(scope, receive, send)
                return
        if throttle.worth_auditing(client, "concurrent"):
            log.info("staff_sign_in_throttled", reason="concurrent", wait_seconds=1)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(REFUSAL)).encode()),
                    (b"retry-after", b"1"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": REFUSAL})
