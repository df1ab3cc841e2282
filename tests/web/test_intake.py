"""Store first: a signed request the database cannot take is spooled, answered 200, and stored
once the database is back, in the order it arrived; 503 only when neither can take it.

"Down" here is a PostgreSQL URL on a port where nothing listens (connections refused, as with a
stopped server) or a socket that accepts and never answers (a hung server); "back" is the
test's real database. tests/reliability/test_database_outage.py stops a real cluster.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cli.main import app as cli
from pathway.outbound import create_message
from schema.db import session_scope
from schema.models import (
    AuditEvent,
    Channel,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Queue,
)
from schema.settings import get_settings
from schema.spool import Spool
from schema.types import utcnow
from schema.vocabulary import MessageKind
from testing.own_postgres import free_port
from testing.trusts import load_always_open_trust
from testing.twilio_signing import signed_headers
from tests.conftest import LOCAL
from web import intake as intake_module
from web.app import create_app
from web.intake import intake_of
from worker import health
from worker.process_state import reset

TOKEN = "intake0123456789abcdef0123456789"
BASE = "https://safetynet.intake.example"
TRUST_NUMBER = "+447700900000"
PATIENT = "+447700900321"
RED = "My legs keep giving way and I cannot feel my feet"


class Database:
    """Switches the settings between the real database and one that is down."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, url: str, trust_id: int) -> None:
        self.monkeypatch = monkeypatch
        self.url = url
        self.trust_id = trust_id

    def _use(self, url: str) -> None:
        self.monkeypatch.setenv("DATABASE_URL", url)
        reset()

    def refuse(self) -> None:
        self._use(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/down")

    def hang(self, server: socket.socket) -> None:
        port = server.getsockname()[1]
        self._use(f"postgresql+psycopg://postgres@127.0.0.1:{port}/hung")

    def back(self) -> None:
        self._use(self.url)


@pytest.fixture
def database(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setattr(intake_module, "POLL_SECONDS", 0.05)
    reset()
    yield Database(monkeypatch, pg_url, load_always_open_trust())
    reset()


@pytest.fixture
def app(database: Database) -> FastAPI:
    """The app without its lifespan: no drainer runs unless the test calls `step()`."""
    return create_app()


def post_reply(client: TestClient, body: str = RED, sid: str | None = None) -> tuple[str, int]:
    sid = sid or f"SM{uuid.uuid4().hex}"
    params = {"MessageSid": sid, "From": PATIENT, "To": TRUST_NUMBER, "Body": body}
    response = client.post(
        "/twilio/sms",
        content=urllib.parse.urlencode(params),
        headers=signed_headers(BASE + "/twilio/sms", params, TOKEN),
    )
    return sid, response.status_code


def post_receipt(client: TestClient, message_id: int, sid: str, status: str) -> int:
    path = f"/twilio/status?m={message_id}"
    params = {"MessageSid": sid, "MessageStatus": status}
    return client.post(
        path,
        content=urllib.parse.urlencode(params),
        headers=signed_headers(BASE + path, params, TOKEN),
    ).status_code


def stored_sids() -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(select(InboundMessage.provider_message_id).order_by(InboundMessage.id))
        )


def spool_depth() -> int:
    return Spool(get_settings().resolved_spool_dir).depth().records


def wait_until(predicate: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def test_a_signed_reply_with_the_database_down_is_spooled_answered_200_and_stored_once_back(
    database: Database,
) -> None:
    with TestClient(create_app(), base_url=LOCAL) as client:
        database.refuse()
        sent_at = utcnow()
        sid, status = post_reply(client)
        assert status == 200
        assert spool_depth() == 1
        database.back()
        wait_until(lambda: stored_sids() == [sid])
        wait_until(lambda: spool_depth() == 0)
        wait_until(lambda: not intake_of(client.app).spooling)  # type: ignore[arg-type]
        with session_scope() as session:
            reply = session.scalars(select(InboundMessage)).one()
        assert reply.body == RED
        assert abs((reply.received_at - sent_at).total_seconds()) < 2  # when it arrived
        _, status = post_reply(client, sid=sid)  # the same MessageSid again: stored once
        assert status == 200
        assert stored_sids() == [sid]


def test_replies_spooled_in_an_outage_are_stored_in_arrival_order_and_later_ones_wait_behind(
    database: Database, app: FastAPI
) -> None:
    client = TestClient(app, base_url=LOCAL)
    intake = intake_of(app)
    database.refuse()
    early = [post_reply(client, body=body) for body in ("STOP", "START", RED)]
    assert [status for _, status in early] == [200, 200, 200]
    assert intake.spooling
    database.back()
    late_sid, status = post_reply(client, body="Sorry, pressed send too soon")
    assert status == 200
    assert stored_sids() == []  # the database is back, but earlier replies are still spooled
    assert intake.step() is False  # drained and nothing more arrived
    assert stored_sids() == [sid for sid, _ in early] + [late_sid]
    assert not intake.spooling
    direct_sid, _ = post_reply(client, body="All fine now")
    assert stored_sids()[-1] == direct_sid  # straight into the database again
    assert spool_depth() == 0


@pytest.fixture
def hung_database() -> Iterator[socket.socket]:
    """A server that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_database_that_does_not_answer_is_given_up_after_the_timeout_and_the_reply_spooled(
    database: Database,
    app: FastAPI,
    hung_database: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKE_DATABASE_TIMEOUT_SECONDS", "0.5")
    database.hang(hung_database)
    client = TestClient(app, base_url=LOCAL)
    started = time.monotonic()
    first, status = post_reply(client)
    first_seconds = time.monotonic() - started
    assert status == 200
    started = time.monotonic()
    second, status = post_reply(client)
    second_seconds = time.monotonic() - started
    assert status == 200
    print(f"\nhung database: first reply answered in {first_seconds:.2f} s")
    print(f"the next one (spooling) in {second_seconds:.3f} s")
    assert 0.5 <= first_seconds < 2.0  # waited the timeout, then spooled
    assert second_seconds < 0.5  # spooling: no second wait on a database that does not answer
    database.back()
    intake = intake_of(app)
    intake.step()
    assert stored_sids() == [first, second]


def test_with_neither_the_database_nor_the_spool_the_webhook_answers_503_at_once(
    database: Database, app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SPOOL_DIR", str(blocker / "spool"))
    database.refuse()
    client = TestClient(app, base_url=LOCAL)
    started = time.monotonic()
    _, status = post_reply(client)
    assert status == 503
    assert time.monotonic() - started < 1.0
    database.back()
    assert stored_sids() == []


def sent_sms(trust_id: int, provider_id: str | None) -> int:
    with session_scope() as session:
        message, _ = create_message(
            session,
            idempotency_key=f"test:{uuid.uuid4().hex}",
            kind=MessageKind.REPLY,
            trust_id=trust_id,
            channel=Channel.SMS,
            template_key="thank_you",
            to_address=PATIENT,
            due_at=utcnow(),
            queue=Queue.MESSAGES,
            now=utcnow(),
        )
        message.state = MessageState.SENT
        message.provider_message_id = provider_id
        session.flush()
        return int(message.id)


def test_a_receipt_with_the_database_down_is_spooled_and_applied_once_it_is_back(
    database: Database, app: FastAPI
) -> None:
    message_id = sent_sms(database.trust_id, "SMreceipt0001")
    client = TestClient(app, base_url=LOCAL)
    database.refuse()
    assert post_receipt(client, message_id, "SMreceipt0001", "delivered") == 200
    assert post_receipt(client, 999_999, "SMnobody", "delivered") == 200  # cannot know yet
    database.back()
    intake_of(app).step()
    with session_scope() as session:
        message = session.get(OutboundMessage, message_id)
        assert message is not None
        assert message.state == MessageState.DELIVERED
        unmatched = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "receipt.unmatched")
        ).one()
    assert unmatched.details["received_sid"] == "SMnobody"  # not silent


def test_a_spooled_record_that_can_never_be_stored_is_quarantined_and_holds_nothing_up(
    database: Database, app: FastAPI
) -> None:
    client = TestClient(app, base_url=LOCAL)
    database.refuse()
    first, _ = post_reply(client)
    intake = intake_of(app)
    intake.spool.append({"v": 1, "kind": "from-a-future-version", "at": "x", "f": {"sid": "SMx"}})
    last, _ = post_reply(client)
    database.back()
    intake.step()
    assert stored_sids() == [first, last]
    depth = intake.spool.depth()
    assert (depth.records, depth.quarantined) == (0, 1)
    problems = health.check().problems
    assert any("quarantine" in problem for problem in problems), problems


def test_what_one_web_process_spooled_is_drained_when_the_next_one_starts(
    database: Database,
) -> None:
    with TestClient(create_app(), base_url=LOCAL) as client:
        database.refuse()
        sid, status = post_reply(client)
        assert status == 200
    assert spool_depth() == 1  # the web app stopped with the database still down
    database.back()
    with TestClient(create_app(), base_url=LOCAL) as client:
        wait_until(lambda: stored_sids() == [sid])
        # The segment is removed just after its records are committed and handed on.
        wait_until(lambda: spool_depth() == 0)


def test_healthz_and_safetynet_status_show_the_spool_and_a_stuck_one_is_a_problem(
    database: Database, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(app, base_url=LOCAL)
    database.refuse()
    post_reply(client)
    post_reply(client)
    database.back()
    shown = client.get("/healthz").json()
    assert shown["spool"]["records"] == 2
    assert not any("spool" in problem for problem in shown["problems"])
    monkeypatch.setattr(health, "SPOOL_STALE_AFTER", timedelta(seconds=0))
    time.sleep(0.01)
    shown = client.get("/healthz").json()
    assert any("waiting in the spool" in problem for problem in shown["problems"])
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 1
    assert "spool" in result.output and "2 waiting" in result.output
    intake_of(app).step()
    assert client.get("/healthz").json()["spool"]["records"] == 0


def test_no_number_and_no_body_reaches_a_log_line_while_spooling_and_draining(
    database: Database, app: FastAPI
) -> None:
    client = TestClient(app, base_url=LOCAL)
    with structlog.testing.capture_logs() as logs:
        database.refuse()
        post_reply(client)
        database.back()
        intake_of(app).step()
    assert {"intake_spooled", "spool_drained", "spool_record_stored"} <= {e["event"] for e in logs}
    text = repr(logs)
    assert PATIENT not in text and PATIENT[-9:] not in text
    assert "legs" not in text


def test_a_reply_stored_in_the_database_is_not_spooled_and_the_intake_never_switches(
    database: Database, app: FastAPI
) -> None:
    client = TestClient(app, base_url=LOCAL)
    sid, status = post_reply(client)
    assert status == 200
    assert stored_sids() == [sid]
    assert spool_depth() == 0
    assert not intake_of(app).spooling
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_a_reply_arriving_before_the_last_processs_spool_is_drained_is_stored_after_it(
    database: Database,
) -> None:
    with TestClient(create_app(), base_url=LOCAL) as client:
        database.refuse()
        left, _ = post_reply(client, body="STOP")
    # The next process starts while the database is still down.
    with TestClient(create_app(), base_url=LOCAL) as client:
        assert intake_of(client.app).spooling  # type: ignore[arg-type]
        later, status = post_reply(client, body="START")
        assert status == 200
        database.back()
        wait_until(lambda: len(stored_sids()) == 2)
    assert stored_sids() == [left, later]
