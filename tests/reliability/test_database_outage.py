"""PostgreSQL actually down (a cluster of the test's own, never the shared server) while signed
red replies arrive, each posted once: every one is answered 200, stored exactly once, alerted
and advised, across two SIGKILLs of the web process.

The scenario is bench/reply_outage.py; here the outage lasts OUTAGE_SECONDS (default 5) to keep
the suite inside its budget, and `python -m bench.reply_outage` runs the issue's 30 s.
"""

from __future__ import annotations

import os
import time
import urllib.parse
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bench.reply_outage import run
from schema.db import dispose_engines, session_scope
from schema.migrate import upgrade
from schema.models import InboundMessage
from schema.settings import get_settings
from schema.spool import Spool
from testing.own_postgres import OwnPostgres
from testing.trusts import load_always_open_trust
from testing.twilio_signing import signed_headers
from tests.conftest import LOCAL
from web import intake as intake_module
from web.app import create_app
from worker.process_state import reset

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "5"))
TOKEN = "outage0123456789abcdef0123456789"
BASE = "https://safetynet.outage.example"


def test_twenty_red_replies_in_a_postgresql_outage_with_the_web_killed_twice_are_each_stored_once(
    own_postgres_template: None,
) -> None:
    started = time.monotonic()
    figures = run(OUTAGE_SECONDS, 20)
    print(f"\n{figures}\nwall time {time.monotonic() - started:.1f} s")
    assert figures["answered_200"] == 20
    assert figures["spooled"] == 20  # the database took none of them: it was down
    assert figures["stored"] == 20 and figures["inbound_rows"] == 20  # each exactly once
    assert figures["alerts"] == 20 and figures["alerted_patients"] == 20
    assert figures["advised_patients"] == 20 and figures["advice_sms_at_twilio"] >= 20
    assert figures["coordinator_sms_at_twilio"] >= 20
    assert figures["spool_left"] == 0 and figures["quarantined"] == 0
    assert figures["log_lines_read"] > 0 and figures["log_lines_naming_a_patient"] == 0
    assert figures["met"]


@pytest.fixture
def frozen_service(
    own_postgres: OwnPostgres, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OwnPostgres]:
    url = own_postgres.create_database("safetynet")
    upgrade(url)
    for name, value in {
        "DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "INTAKE_DATABASE_TIMEOUT_SECONDS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(intake_module, "POLL_SECONDS", 0.1)
    reset()
    load_always_open_trust()
    yield own_postgres
    own_postgres.thaw()
    dispose_engines()


def post(client: TestClient, body: str) -> tuple[str, int, float]:
    sid = f"SM{uuid.uuid4().hex}"
    params = {"MessageSid": sid, "From": "+447700900321", "To": "+447700900000", "Body": body}
    started = time.monotonic()
    status = client.post(
        "/twilio/sms",
        content=urllib.parse.urlencode(params),
        headers=signed_headers(BASE + "/twilio/sms", params, TOKEN),
    ).status_code
    return sid, status, time.monotonic() - started


def stored() -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(select(InboundMessage.provider_message_id).order_by(InboundMessage.id))
        )


def test_a_frozen_postgresql_is_given_up_after_the_timeout_and_its_late_commit_is_no_duplicate(
    frozen_service: OwnPostgres,
) -> None:
    with TestClient(create_app(), base_url=LOCAL) as client:
        before, status, _ = post(client, "All fine, thank you")
        assert status == 200 and stored() == [before]
        frozen_service.freeze()  # SIGSTOP: connections hang rather than fail
        during = [post(client, body) for body in ("STOP", "START", "My legs are numb")]
        frozen_service.thaw()
        deadline = time.monotonic() + 20
        while len(stored()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        spool = Spool(get_settings().resolved_spool_dir)
        deadline = time.monotonic() + 10
        while spool.depth().records and time.monotonic() < deadline:
            time.sleep(0.05)
    seconds = [round(s, 2) for _, _, s in during]
    print(f"\nanswers while PostgreSQL was frozen (s): {seconds}")
    assert [status for _, status, _ in during] == [200, 200, 200]
    assert 1.0 <= seconds[0] < 3.0  # the timeout, then the spool
    assert max(seconds[1:]) < 0.5  # spooling: no more waiting on a database that hangs
    assert stored() == [before] + [sid for sid, _, _ in during]  # once each, in order
    assert spool.depth().records == 0
