"""A whole journey through real processes, and not one identifier in any line they logged.

uvicorn (access log on), `celery worker` and `celery beat` run as subprocesses at INFO, with
structlog on; this process logs too. A patient is enrolled through the API, their welcome is
sent (SMS and email), they reply with a red flag, the coordinator is alerted and acknowledges
by SMS, and staff search for the patient by NHS number (API) and by name (the dashboard's
search). Then every line of every log is searched for the patient's NHS number, names, phone,
email and every message body, written every way they are written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import select

from bench.harness import free_port
from pathway import audit
from schema.db import session_scope
from schema.models import Alert, AlertState, OutboundMessage, StaffMember, Trust
from schema.types import utcnow
from testing.twilio_signing import signed_headers
from tests.pipeline.conftest import PUBLIC_BASE_URL, Service, wait_until
from web.auth import passwords, tokens
from web.sessions import COOKIE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

NHS_NUMBER = "9434765919"
GIVEN, FAMILY = "Zephyrine", "Quillfeather"
PHONE = "+447700900377"
EMAIL = "zq.patient@example.org"
RED_REPLY = "Zephyrine here, my legs keep giving way since Tuesday and my feet feel numb"
TRUST_NUMBER = "+447700900000"
ASHA = "+447700900101"
PASSWORD = "correct horse battery staple"
UVICORN = [sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1"]
QUIET = ["--without-mingle", "--without-gossip"]


def written_forms() -> list[str]:
    """Every way the identifiers are written: digits plain and spaced, national and E.164."""
    national = "0" + PHONE[3:]
    return [
        NHS_NUMBER,
        f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}",
        GIVEN,
        FAMILY,
        PHONE,
        PHONE[1:],
        national,
        f"{national[:5]} {national[5:]}",
        urllib.parse.quote(PHONE),
        EMAIL,
        urllib.parse.quote(EMAIL),
        RED_REPLY,
        "legs keep giving way",
        urllib.parse.quote_plus(RED_REPLY)[:40],
    ]


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    output = open(log, "ab")  # noqa: SIM115
    return subprocess.Popen(
        argv, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture
def processes(service: Service, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    env = {
        **os.environ,
        **service.env,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    celery = [sys.executable, "-m", "celery", "-A", "worker.app:celery_app"]
    started = [
        spawn(
            [*UVICORN, "--port", str(port), "--no-proxy-headers", "--log-level", "info"],
            env,
            tmp_path / "web.log",
        ),
        spawn(
            [*celery, "worker", "-Q", "alerts,messages", "-c", "2", "--loglevel", "INFO", *QUIET],
            env,
            tmp_path / "worker.log",
        ),
        spawn(
            [*celery, "beat", "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule")],
            env,
            tmp_path / "beat.log",
        ),
    ]
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, timeout=60)
        yield base, tmp_path
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def sms(base: str, service: Service, sender: str, body: str) -> int:
    params = {
        "MessageSid": f"SM{os.urandom(16).hex()}",
        "AccountSid": service.twilio.account_sid,
        "From": sender,
        "To": TRUST_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    headers = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, service.twilio.auth_token)
    return httpx.post(f"{base}/twilio/sms", data=params, headers=headers, timeout=10).status_code


def test_a_whole_journey_leaves_no_identifier_or_body_in_any_log(
    service: Service,
    processes: tuple[str, Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    base, logs = processes
    with session_scope() as session:
        trust = session.get(Trust, service.trust_id)
        assert trust is not None
        _, token = tokens.issue(session, trust, "PAS", actor=audit.CLI, now=utcnow())
        coordinator = session.scalars(
            select(StaffMember).where(StaffMember.phone_e164 == ASHA)
        ).one()
        coordinator.password_hash = passwords.hash_password(PASSWORD)
        coordinator_email = coordinator.email
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    # enrol
    enrolled = api.post(
        "/api/v1/patients",
        json={
            "nhs_number": NHS_NUMBER,
            "given_name": GIVEN,
            "family_name": FAMILY,
            "phone": PHONE,
            "email": EMAIL,
            "cohort": "welcome_only",
        },
    )
    assert enrolled.status_code == 201, enrolled.text
    # send: beat dispatches the welcome, the messages worker sends it
    wait_until(lambda: any(m.to == PHONE for m in service.twilio.messages), timeout=60)
    wait_until(lambda: any(EMAIL in str(m["To"]) for m in service.smtp.messages), timeout=60)
    # reply, alert
    assert sms(base, service, PHONE, RED_REPLY) == 200
    wait_until(lambda: any(m.to == ASHA for m in service.twilio.messages), timeout=60)
    with session_scope() as session:
        code = session.scalars(select(Alert.code)).one()
    # acknowledge by SMS
    assert sms(base, service, ASHA, f"ACK {code}") == 200

    def acknowledged() -> bool:
        with session_scope() as session:
            return session.scalars(select(Alert.state)).one() != AlertState.OPEN

    wait_until(acknowledged, timeout=60)
    # search by NHS number (API) and by name (dashboard)
    found = api.get("/api/v1/patients", params={"nhs_number": NHS_NUMBER})
    assert found.status_code == 200 and found.json()[0]["family_name"] == FAMILY
    # The cookie is Secure (PUBLIC_BASE_URL is https) and this is plain http: carry it by hand.
    staff = httpx.Client(base_url=base, timeout=10, follow_redirects=False)
    form = staff.get("/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf
    signed = staff.post(
        "/sign-in",
        data={"email": coordinator_email, "password": PASSWORD, "csrf_token": csrf.group(1)},
        headers={"Cookie": f"{COOKIE}={form.cookies[COOKIE]}"},
    )
    assert signed.status_code == 303, signed.text
    session_cookie = {"Cookie": f"{COOKIE}={signed.cookies[COOKIE]}"}
    searched = staff.get("/patients", params={"q": FAMILY}, headers=session_cookie)
    assert searched.status_code == 200 and FAMILY in searched.text
    both = staff.get("/patients", params={"q": f"{GIVEN} {FAMILY}"}, headers=session_cookie)
    assert both.status_code == 200

    with session_scope() as session:
        bodies = [b for b in session.scalars(select(OutboundMessage.body)) if b]
    time.sleep(1.5)  # the last lines reach the files
    captured = capfd.readouterr()
    text = {path.name: path.read_text(errors="replace") for path in logs.glob("*.log")}
    text["this process"] = captured.out + captured.err
    assert "GET /patients?[query redacted]" in text["web.log"]  # the access log did run
    assert "twilio.sent" in text["worker.log"]  # and the worker logged at INFO (its own events;
    # Celery's per-task received/succeeded lines are DEBUG: worker/logs.py RoutineAtDebug)
    lines = [(name, line) for name, content in text.items() for line in content.splitlines()]
    assert len(lines) > 30
    forms = written_forms() + [
        line for body in bodies for line in body.splitlines() if len(line) > 12
    ]
    leaks = [(name, line, f) for name, line in lines for f in forms if f.lower() in line.lower()]
    assert leaks == []
