"""The SMTP provider against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.smtp_server import SmtpTestServer
from worker.providers.base import Outgoing, PermanentError, PermanentReason, TransientError
from worker.providers.smtp_email import SmtpEmailProvider

pytest_plugins = ["tests.fakes.fixtures"]

SENDER = "MSCC Safety Net <safetynet@trust.example.nhs.uk>"
TO = "patient@example.org"


def _email(html: str | None = "<p>Call <b>0113 496 0001</b> now.</p>") -> Outgoing:
    return Outgoing(
        message_id=9,
        channel="email",
        to=TO,
        body="Call 0113 496 0001 now.",
        subject="Your MSCC safety net",
        html=html,
    )


def _provider(
    host: str,
    port: int,
    starttls: bool = False,
    user: str = "",
    password: str = "",
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 5,
) -> SmtpEmailProvider:
    return SmtpEmailProvider(
        host, port, user, password, SENDER, starttls, timeout, ssl_context=ssl_context
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_email_arrives_as_plain_text_and_html_with_subject_and_message_id(
    smtp_server: SmtpTestServer,
) -> None:
    result = _provider(smtp_server.host, smtp_server.port).send(_email())

    [received] = smtp_server.received
    message = received.message
    assert (received.mail_from, received.rcpt_tos) == ("safetynet@trust.example.nhs.uk", (TO,))
    assert message["Subject"] == "Your MSCC safety net"
    assert message["To"] == TO
    assert message["Message-ID"] == result.provider_message_id
    assert result.provider_message_id.endswith("@trust.example.nhs.uk>")
    assert (result.provider, result.segments) == ("smtp", None)
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and plain.get_content().strip() == "Call 0113 496 0001 now."
    assert html is not None and "<b>0113 496 0001</b>" in html.get_content()


def test_an_email_without_html_is_plain_text_only(smtp_server: SmtpTestServer) -> None:
    _provider(smtp_server.host, smtp_server.port).send(_email(html=None))

    [message] = smtp_server.messages
    assert message.get_content_type() == "text/plain"


def test_a_refused_connection_is_transient() -> None:
    with pytest.raises(TransientError) as caught:
        _provider("127.0.0.1", _free_port()).send(_email())

    assert caught.value.code == "connection"


def test_a_server_that_never_greets_is_a_transient_timeout() -> None:
    with socket.socket() as silent:  # the kernel completes the handshake; nobody answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        provider = _provider("127.0.0.1", silent.getsockname()[1], timeout=0.3)

        with pytest.raises(TransientError) as caught:
            provider.send(_email())

    assert caught.value.code == "timeout"


def test_a_refused_recipient_is_permanent(smtp_server: SmtpTestServer) -> None:
    smtp_server.refuse_recipients("550 5.1.1 Mailbox unavailable")

    with pytest.raises(PermanentError) as caught:
        _provider(smtp_server.host, smtp_server.port).send(_email())

    assert (caught.value.reason, caught.value.code) == (PermanentReason.REJECTED, "smtp-550")
    assert TO not in str(caught.value)
    assert smtp_server.messages == []


def test_a_recipient_deferred_with_a_4xx_reply_is_transient(smtp_server: SmtpTestServer) -> None:
    smtp_server.refuse_recipients("450 4.2.1 Mailbox busy, try later")

    with pytest.raises(TransientError) as caught:
        _provider(smtp_server.host, smtp_server.port).send(_email())

    assert caught.value.code == "smtp-450"


@pytest.mark.parametrize(
    ("reply", "failure"),
    [("451 4.3.0 Try again later", TransientError), ("554 5.6.0 Rejected", PermanentError)],
)
def test_a_refused_message_follows_the_smtp_reply_class(
    smtp_server: SmtpTestServer, reply: str, failure: type[Exception]
) -> None:
    smtp_server.fail_data(reply)

    with pytest.raises(failure):
        _provider(smtp_server.host, smtp_server.port).send(_email())


def test_a_connection_closed_before_the_reply_is_transient(smtp_server: SmtpTestServer) -> None:
    smtp_server.drop_connections()

    with pytest.raises(TransientError) as caught:
        _provider(smtp_server.host, smtp_server.port).send(_email())

    assert caught.value.code == "disconnected"


def test_starttls_configured_but_not_offered_sends_nothing(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(TransientError) as caught:
        _provider(smtp_server.host, smtp_server.port, starttls=True).send(_email())

    assert caught.value.code == "starttls-unavailable"
    assert smtp_server.messages == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_smtp_server(certificate: tuple[Path, Path]) -> Iterator[SmtpTestServer]:
    """STARTTLS required, and AUTH with user `trust` and password `s3cret`."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    with SmtpTestServer(
        tls_context=server_context, require_starttls=True, credentials=("trust", "s3cret")
    ) as server:
        yield server


def test_starttls_and_login_are_used_when_configured(
    tls_smtp_server: SmtpTestServer, certificate: tuple[Path, Path]
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    provider = _provider(
        tls_smtp_server.host,
        tls_smtp_server.port,
        starttls=True,
        user="trust",
        password="s3cret",
        ssl_context=trusting,
    )

    provider.send(_email())

    assert len(tls_smtp_server.messages) == 1


def test_a_wrong_password_is_permanent(
    tls_smtp_server: SmtpTestServer, certificate: tuple[Path, Path]
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    provider = _provider(
        tls_smtp_server.host,
        tls_smtp_server.port,
        starttls=True,
        user="trust",
        password="wrong",
        ssl_context=trusting,
    )

    with pytest.raises(PermanentError) as caught:
        provider.send(_email())

    assert caught.value.code == "smtp-535"


def test_an_untrusted_certificate_is_transient_and_sends_nothing(
    tls_smtp_server: SmtpTestServer,
) -> None:
    provider = _provider(tls_smtp_server.host, tls_smtp_server.port, starttls=True, user="trust")

    with pytest.raises(TransientError):
        provider.send(_email())

    assert tls_smtp_server.messages == []
