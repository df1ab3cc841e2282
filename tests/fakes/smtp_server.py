"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, and can misbehave."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class RecordingHandler:
    """aiosmtpd handler: records each message; the fault settings are the test's to change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.rcpt_reply: str | None = None  # e.g. "550 5.1.1 No such user"
        self.refuse_when: Callable[[str], bool] = lambda address: True
        self.data_reply: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.drop_at_data = False

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.rcpt_reply and self.refuse_when(address):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.drop_at_data:
            assert server.transport is not None
            server.transport.close()  # gone before the reply: the client cannot know the outcome
            return "421 4.3.0 Closing"
        if self.data_reply:
            return self.data_reply
        content = envelope.original_content or b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._received.append(
                Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"


class _AnyPortController(Controller):
    """Controller that can bind port 0: it learns the port before poking its own server."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpTestServer:
    """`start()` (or `with`) listens on 127.0.0.1 at a free port.

    `tls_context` offers STARTTLS (`require_starttls` insists on it); `credentials` (user,
    password) turns on AUTH, which aiosmtpd offers only after STARTTLS.
    """

    def __init__(
        self,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.handler = RecordingHandler()
        self._credentials = credentials
        options: dict[str, Any] = {}
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=require_starttls)
        if credentials is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
        self._controller = _AnyPortController(
            self.handler, hostname="127.0.0.1", port=0, ready_timeout=5.0, **options
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self._credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self._credentials
        )
        return AuthResult(success=ok, handled=False)  # handled=True would leave the client waiting

    def start(self) -> SmtpTestServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.handler.received]

    def env(self) -> dict[str, str]:
        """Environment variables that point the service at this server (no STARTTLS)."""
        return {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port), "SMTP_STARTTLS": "false"}

    # -- faults ----------------------------------------------------------------------------

    def refuse_recipients(
        self,
        reply: str = "550 5.1.1 Mailbox unavailable",
        when: Callable[[str], bool] | None = None,
    ) -> None:
        """RCPT TO is answered with `reply` (for every address, or those `when` picks)."""
        self.handler.refuse_when = when or (lambda address: True)
        self.handler.rcpt_reply = reply

    def fail_data(self, reply: str = "451 4.3.0 Try again later") -> None:
        self.handler.data_reply = reply

    def drop_connections(self, drop: bool = True) -> None:
        """Close the connection when the message has been sent, without answering."""
        self.handler.drop_at_data = drop

    def clear_faults(self) -> None:
        self.handler.rcpt_reply = None
        self.handler.data_reply = None
        self.handler.drop_at_data = False
