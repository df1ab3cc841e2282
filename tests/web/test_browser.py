"""In real headless Chromium against the service on a real port and PostgreSQL: a coordinator
signs in, a red reply arrives through a signed Twilio webhook and appears on the queue by
itself, is acknowledged and leaves the open list; then the patient's timeline tells the story.

Screenshots go to SAFETYNET_SCREENSHOTS when set (docs/screenshots for the README)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from pathway import audit, replies
from pathway.trust_loading import load_trust
from schema.config_file import read_config_file
from schema.db import session_scope
from schema.encryption import lookup_hmac
from schema.models import (
    Alert,
    AuditEvent,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    Trust,
)
from schema.types import utcnow
from testing.twilio_signing import signed_headers
from tests.conftest import EXAMPLE_TRUST
from tests.web.conftest import PASSWORD, enrol_patient, give_passwords, red_alert
from web.app import create_app
from web.auth.signin import SignInPolicy
from worker import sending
from worker.process_state import reset

pytestmark = pytest.mark.timeout(90)

TWILIO_TOKEN = "browser-test-auth-token"
TRUST_NUMBER = "+447700900000"
ANN, DYLAN, CARA = "+447700900301", "+447700900311", "+447700900312"
RED_REPLY = "I cant feel my legs properly and I keep falling over"
COORDINATOR = "asha.okafor@riverside.example.nhs.uk"


@dataclass(frozen=True)
class LiveService:
    base_url: str

    def text_in(self, sender: str, body: str) -> None:
        """A patient's SMS as Twilio delivers it, then what the alerts worker does with it."""
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": TRUST_NUMBER,
            "Body": body,
            "NumMedia": "0",
        }
        self._signed_post("/twilio/sms", params)
        with session_scope() as session:
            pending = session.scalars(
                select(InboundMessage.id).where(InboundMessage.handled_at.is_(None))
            ).all()
        for inbound_id in pending:
            with session_scope() as session:
                replies.handle_inbound(session, inbound_id, utcnow())
        self._send_due_and_confirm_delivery()

    def _send_due_and_confirm_delivery(self) -> None:
        with session_scope() as session:
            due = session.scalars(
                select(OutboundMessage.id).where(
                    OutboundMessage.state == MessageState.SCHEDULED,
                    OutboundMessage.due_at <= utcnow(),
                )
            ).all()
        for message_id in due:
            sending.send_message(message_id)
        with session_scope() as session:
            sent = session.scalars(
                select(OutboundMessage.provider_message_id).where(
                    OutboundMessage.state == MessageState.SENT, OutboundMessage.channel == "sms"
                )
            ).all()
        for sid in sent:
            self._signed_post(
                "/twilio/status", {"MessageSid": str(sid), "MessageStatus": "delivered"}
            )

    def _signed_post(self, path: str, params: dict[str, str]) -> None:
        url = self.base_url + path
        response = httpx2.post(url, data=params, headers=signed_headers(url, params, TWILIO_TOKEN))
        assert response.status_code == 200, response.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_service(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveService]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("PUBLIC_BASE_URL", base_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    reset()  # the embedded broker in this test's data folder
    app = create_app()
    app.state.dashboard_refresh_seconds = 1
    app.state.sign_in_policy = SignInPolicy(failure_delay_seconds=0)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield LiveService(base_url)
    server.should_exit = True
    thread.join(timeout=10)
    reset()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SAFETYNET_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def seed_trust() -> None:
    """The example trust, its staff able to sign in, and three enrolled patients."""
    with session_scope() as session:
        trust = load_trust(
            session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow()
        ).trust
        give_passwords(session, trust)
        enrol_patient(session, trust, "9434765919", ANN, email="ann@example.com")
        enrol_patient(session, trust, "9434765846", DYLAN, given_name="Dylan", family_name="Rhys")
        enrol_patient(session, trust, "9434765838", CARA, given_name="Cara", family_name="Jones")


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/$"))
    page.get_by_label("Email address").fill(COORDINATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()


def test_a_red_reply_appears_is_acknowledged_leaves_the_open_list_and_is_on_the_timeline(
    live_service: LiveService, page: Page, screenshots: Path
) -> None:
    seed_trust()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_service.base_url)
    open_alerts = page.locator("#open-alerts")
    expect(open_alerts).to_contain_text("No open alerts.")

    live_service.text_in(CARA, "my back is sore at night, worse lying down")
    live_service.text_in(ANN, RED_REPLY)
    red = open_alerts.locator("article.alert--red")
    # No reload: the queue refreshes itself (every second here, every 30 s in service).
    expect(red).to_contain_text(RED_REPLY, timeout=15_000)
    expect(red.locator(".tag--delivered").first).to_be_visible(timeout=15_000)
    expect(open_alerts.locator("article.alert").first).to_have_class(re.compile("alert--red"))
    expect(red).to_contain_text("Escalation step 1 of 3: Asha Okafor")
    red.get_by_text("Triage evidence").click()
    evidence = red.locator("details.evidence")
    expect(evidence).to_have_attribute("open", "")

    live_service.text_in(
        DYLAN, "Not sure if I should still take the dexamethasone, and what time is my appointment?"
    )
    expect(page.locator("#queue")).to_contain_text("dexamethasone", timeout=15_000)
    expect(evidence).to_have_attribute("open", "")  # the refresh kept it open
    with session_scope() as session:
        alert = session.scalars(select(Alert).where(Alert.level == "red")).one()
        code = alert.code
    page.screenshot(path=str(screenshots / "alert-queue.png"), full_page=True)

    red.get_by_role("button", name=f"Acknowledge alert {code}").click()
    expect(page.locator(".notice--done")).to_contain_text(f"You acknowledged alert {code}")
    expect(open_alerts).not_to_contain_text(RED_REPLY)
    acknowledged = page.locator("#acknowledged")
    expect(acknowledged).to_contain_text(RED_REPLY)
    expect(acknowledged).to_contain_text("Acknowledged by Asha Okafor")
    with session_scope() as session:
        state = session.scalars(select(Alert.state).where(Alert.code == code)).one()
        via = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "alert.acknowledged")
        ).one()
    assert state == "acknowledged" and via["via"] == "web"

    acknowledged.get_by_role("link", name="Ann Example").click()
    expect(page.get_by_role("heading", name="Ann Example", level=1)).to_be_visible()
    timeline = page.locator("#timeline")
    for shown in (
        RED_REPLY,
        "Alert raised",
        "Acknowledged by Asha Okafor",
        "Urgent advice to patient by SMS",
        "Coordinator alert to Asha Okafor",
    ):
        expect(timeline).to_contain_text(shown)
    expect(timeline.locator(".tag--delivered").first).to_be_visible()
    page.screenshot(path=str(screenshots / "patient-timeline.png"), full_page=True)


def test_signing_in_acknowledging_and_resolving_work_with_javascript_switched_off(
    live_service: LiveService, browser: Browser
) -> None:
    seed_trust()
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        ann = session.scalars(select(Patient).where(Patient.phone_hmac == lookup_hmac(ANN))).one()
        alert_id = red_alert(session, trust, ann, "legs gone weak since this morning")
        code = session.get(Alert, alert_id).code  # type: ignore[union-attr]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_service.base_url)
        card = page.locator(f"#alert-{alert_id}")
        card.get_by_role("button", name=f"Acknowledge alert {code}").click()
        expect(page.locator("#open-alerts")).to_contain_text("No open alerts.")
        card = page.locator(f"#alert-{alert_id}")
        card.get_by_role("button", name="Resolve").click()
        expect(page.locator(f"#alert-{alert_id}")).to_contain_text("Choose what happened")
        card = page.locator(f"#alert-{alert_id}")
        card.get_by_label("Outcome").select_option("admitted")
        card.get_by_label("Note").fill("Phoned Ann: admitted for MRI.")
        card.get_by_role("button", name="Resolve").click()
        expect(page.locator(".notice--done")).to_contain_text(f"Alert {code} is resolved")
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/sign-in\?signed_out=1$"))
        page.goto(live_service.base_url + "/")
        expect(page).to_have_url(re.compile(r"/sign-in"))
    finally:
        context.close()
