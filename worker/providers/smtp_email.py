"""Email through an SMTP server, with the standard library only. One connection per send.

STARTTLS: when `starttls` is set it is required. A server that does not offer it gets nothing
(TransientError "starttls-unavailable"): credentials and patient details never cross in clear text
because a relay, or someone in between, dropped the offer. Set `SMTP_STARTTLS=false` only for a
relay on the same host or a test server.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import structlog

from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    SendResult,
    TransientError,
)

log = structlog.get_logger(__name__)


def build_email(outgoing: Outgoing, sender: str) -> EmailMessage:
    """Plain text, plus an HTML alternative when there is one. The Message-ID is ours."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.to
    message["Subject"] = outgoing.subject or ""
    message["Date"] = format_datetime(datetime.now(UTC))
    # An explicit domain: make_msgid's default asks DNS for this host's name.
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(outgoing.body)
    if outgoing.html:
        message.add_alternative(outgoing.html, subtype="html")
    return message


def _reply_failure(code: int, what: str) -> TransientError | PermanentError:
    """SMTP's own rule: 4xx is worth another try, 5xx is not."""
    if 400 <= code < 500 or code < 0:
        return TransientError(f"{what}: SMTP {code}", code=f"smtp-{code}")
    return PermanentError(
        f"{what}: SMTP {code}", reason=PermanentReason.REJECTED, code=f"smtp-{code}"
    )


class SmtpEmailProvider:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        sender: str,
        starttls: bool,
        timeout: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.sender = sender
        self.starttls = starttls
        self.timeout = timeout
        self._password = password
        self._ssl_context = ssl_context

    def send(self, outgoing: Outgoing) -> SendResult:
        if outgoing.channel != "email":
            raise ValueError(f"SMTP provider given a {outgoing.channel} message")
        message = build_email(outgoing, self.sender)
        message_id = str(message["Message-ID"])
        try:
            self._deliver(message, outgoing.to)
        except (TransientError, PermanentError) as failure:
            log.warning(
                "smtp.failed", message_id=outgoing.message_id, code=failure.code, host=self.host
            )
            raise
        log.info("smtp.sent", message_id=outgoing.message_id, host=self.host)
        return SendResult(provider=self.name, provider_message_id=message_id)

    def _deliver(self, message: EmailMessage, to: str) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    if not smtp.has_extn("starttls"):
                        raise TransientError(
                            "the SMTP server did not offer STARTTLS, which is required",
                            code="starttls-unavailable",
                        )
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self._password)
                smtp.send_message(message, from_addr=parseaddr(self.sender)[1], to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _reply_failure(max(codes, default=550), "recipient refused") from None
        except smtplib.SMTPResponseException as error:
            raise _reply_failure(error.smtp_code, type(error).__name__) from None
        except smtplib.SMTPServerDisconnected as error:
            # smtplib reports a read that timed out as a disconnection.
            if isinstance(error.__context__, TimeoutError):
                raise TransientError(
                    "no answer from the SMTP server in time", code="timeout"
                ) from error
            raise TransientError(
                "the SMTP server closed the connection", code="disconnected"
            ) from error
        except smtplib.SMTPException as error:
            # Left: no common AUTH method, an extension we need is missing. Configuration.
            raise PermanentError(
                f"SMTP: {type(error).__name__}", reason=PermanentReason.REJECTED, code="smtp"
            ) from error
        except TimeoutError as error:
            raise TransientError(
                "no answer from the SMTP server in time", code="timeout"
            ) from error
        except OSError as error:  # refused, reset, unreachable, TLS handshake
            raise TransientError(
                f"could not reach the SMTP server: {type(error).__name__}", code="connection"
            ) from error
