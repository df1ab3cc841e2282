"""`safetynet demo`: the whole service, offline, on a simulated clock, in under half a minute.

Nothing here is a parallel script: patients are enrolled with the enrolment code, messages go
through the dispatcher, Celery (embedded filesystem broker, a real worker), the real templates
and the outbox provider; replies are signed and posted to the real webhook over HTTP; triage,
alerts and escalation are the service's own. The demo only plays beat's part and the clock's.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from pathway import audit
from pathway.enrolment import enrol, read_import
from pathway.trust_loading import load_trust
from schema.config_file import read_config_file
from schema.db import dispose_engines, session_scope
from schema.migrate import upgrade
from schema.models import (
    Alert,
    AuditEvent,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    Queue,
    StaffMember,
)
from schema.settings import get_settings
from schema.trusts import trust_config
from schema.types import SimulatedClock, use_clock, utcnow
from worker import tasks
from worker.app import get_app
from worker.process_state import reset

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 6, 10, 0, tzinfo=LONDON)  # a Friday morning
DEMO_TOKEN = "demo-auth-token-not-a-secret"

console = Console(highlight=False, width=110)


class Timeline:
    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self.shown: set[int] = set()

    def say(self, who: str, what: str, when: datetime | None = None) -> None:
        local = (when or self.clock.now()).astimezone(LONDON)
        console.print(f"[dim]{local:%a %d %b %H:%M}[/dim]  [bold]{who:<10}[/bold] {what}")

    def show_messages(self) -> None:
        with session_scope() as session:
            rows = session.execute(
                select(OutboundMessage, Patient, StaffMember)
                .outerjoin(Patient, Patient.id == OutboundMessage.patient_id)
                .outerjoin(StaffMember, StaffMember.id == OutboundMessage.staff_member_id)
                .where(OutboundMessage.state.in_((MessageState.SENT, MessageState.SUPPRESSED)))
                .order_by(OutboundMessage.sent_at, OutboundMessage.id)
            ).all()
        for message, patient, staff in rows:
            if message.id in self.shown:
                continue
            self.shown.add(message.id)
            to = staff.name if staff else (patient.given_name if patient else message.to_address)
            if message.state == MessageState.SUPPRESSED:
                self.say("held", f"{message.template_key} to {to}: {message.error_message}")
                continue
            size = (
                f"{message.encoding}, {message.segments} segment"
                f"{'s' if message.segments != 1 else ''}"
                if message.channel == "sms"
                else f"subject {message.subject!r}"
            )
            arrow = "sms ->" if message.channel == "sms" else "email ->"
            self.say(arrow, f"{to}: {message.template_key} ({size})", message.sent_at)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _web_server(port: int) -> Iterator[None]:
    import uvicorn  # noqa: PLC0415 - only the demo runs a web server: other commands start without uvicorn

    from web.app import create_app  # noqa: PLC0415 - only the demo builds the web app: other commands start without it

    server = uvicorn.Server(
        # No proxy headers, as every launch: FORWARDED_ALLOW_IPS decides, in the app.
        uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait(lambda: server.started, "the web app to start")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def _worker() -> Iterator[None]:
    from celery.contrib.testing.worker import start_worker  # noqa: PLC0415 - only the demo runs an in-process worker

    with start_worker(
        get_app(),
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        queues=[q.value for q in Queue],
        loglevel="WARNING",
        shutdown_timeout=20,
    ):
        yield


def _wait(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _settled() -> bool:
    """Nothing due left to send and every reply handled."""
    now = utcnow()
    with session_scope() as session:
        busy = session.scalar(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.due_at <= now,
                OutboundMessage.state.in_(
                    (MessageState.SCHEDULED, MessageState.QUEUED, MessageState.SENDING)
                ),
            )
            .limit(1)
        )
        waiting = session.scalar(
            select(InboundMessage.id).where(InboundMessage.handled_at.is_(None)).limit(1)
        )
    return busy is None and waiting is None


def _beat(task_name: str) -> None:
    """Beat's part: trigger one periodic task through the broker, then let the work settle."""
    getattr(tasks, task_name).delay()
    time.sleep(0.3)
    tasks.dispatch_due.delay()
    tasks.dispatch_bulk.delay()
    _wait(_settled, "the workers to finish")


def _reply(port: int, sender: str, body: str) -> None:
    settings = get_settings()
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": sender,
        "To": "+447700900000",
        "Body": body,
    }

    url = f"{settings.public_base_url}/twilio/sms"
    signature = RequestValidator(DEMO_TOKEN).compute_signature(url, params)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/twilio/sms",
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    _wait(_settled, "the reply to be handled")


def _triaged(timeline: Timeline, name: str) -> None:
    with session_scope() as session:
        inbound = session.scalars(
            select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)
        ).one()
    found = f" ({', '.join(inbound.symptoms)})" if inbound.symptoms else ""
    timeline.say("triage", f"{name}'s reply is {str(inbound.label).upper()}{found}")


def demo_command(
    keep: Path = typer.Option(None, help="Keep the demo's data folder here instead of a temp one."),
) -> None:
    """Walk through the whole service offline on a simulated clock (about 20 seconds)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="safetynet-demo-") as scratch:
        data_dir = keep or Path(scratch)
        _run(data_dir)
    console.print(f"\n[green]demo finished in {time.monotonic() - started:.0f} s[/green]")


def _run(data_dir: Path) -> None:
    for name in ("DATABASE_URL", "BROKER_URL", "TWILIO_ACCOUNT_SID", "SMTP_HOST"):
        os.environ.pop(name, None)
    os.environ.update(
        SAFETYNET_DATA_DIR=str(data_dir),
        TWILIO_AUTH_TOKEN=DEMO_TOKEN,
        PUBLIC_BASE_URL="https://safetynet.demo.example",
        LOG_LEVEL="WARNING",
    )
    reset()
    clock = SimulatedClock(START.astimezone(UTC))
    use_clock(clock)
    timeline = Timeline(clock)
    console.print(
        "[bold]MSCC Safety Net demo[/bold]: simulated clock, offline "
        "(SQLite, embedded broker, outbox providers), real code paths\n"
    )
    try:
        _story(clock, timeline)
    finally:
        use_clock(None)
        dispose_engines()


def _story(clock: SimulatedClock, timeline: Timeline) -> None:
    settings = get_settings()
    upgrade(settings.resolved_database_url)
    with session_scope() as session:
        trust = load_trust(
            session, read_config_file(EXAMPLES / "trust.yaml"), actor=audit.CLI, now=utcnow()
        ).trust
        config = trust_config(trust)
        timeline.say("setup", f"database created; {trust.name} loaded")
        rows = read_import(session, trust, config, (EXAMPLES / "patients.csv").read_text())[:3]
        for row in rows:
            enrol(session, trust, config, row, actor=audit.CLI, now=utcnow())
            timeline.say("enrol", f"{row.given_name} {row.family_name} ({row.cohort})")
    port = _free_port()
    with _worker(), _web_server(port):
        _beat("dispatch_bulk")
        timeline.show_messages()

        clock.jump_to(datetime(2026, 3, 9, 10, 0, 5, tzinfo=LONDON).astimezone(UTC))
        _beat("dispatch_bulk")
        timeline.show_messages()
        clock.jump_to(datetime(2026, 3, 9, 12, 40, tzinfo=LONDON).astimezone(UTC))
        timeline.say("reply <-", 'Margaret: "All good thanks, nothing new"')
        _reply(port, "+447700900201", "All good thanks, nothing new")
        _triaged(timeline, "Margaret")
        timeline.show_messages()

        clock.jump_to(datetime(2026, 3, 13, 10, 0, 5, tzinfo=LONDON).astimezone(UTC))
        _beat("dispatch_bulk")
        timeline.show_messages()

        clock.jump_to(datetime(2026, 3, 15, 2, 3, tzinfo=LONDON).astimezone(UTC))
        timeline.say("reply <-", 'David, 2 a.m. on a Sunday: "my legs keep giving way"')
        _reply(port, "+447700900202", "my legs keep giving way")
        _triaged(timeline, "David")
        alert = _alert()
        timeline.say("alert", f"RED alert {alert.code} raised; step 1 of the chain notified")
        timeline.show_messages()

        clock.jump_to(alert.raised_at + timedelta(minutes=5, seconds=2))
        _beat("escalate_alerts")
        timeline.say("beat", "no acknowledgement within 5 minutes: escalated to step 2")
        timeline.show_messages()

        clock.jump_to(alert.raised_at + timedelta(minutes=6, seconds=30))
        timeline.say("reply <-", f'Ben (coordinator): "ACK {alert.code}"')
        _reply(port, "+447700900102", f"ACK {alert.code}")
        acknowledged = _alert()
        timeline.say("ack", f"alert {alert.code} acknowledged by Ben; escalation stopped")
        timeline.show_messages()

        clock.jump_to(alert.raised_at + timedelta(minutes=40))
        before = len(timeline.shown)
        _beat("escalate_alerts")
        timeline.show_messages()
        quiet = len(timeline.shown) == before and acknowledged.next_escalation_at is None
        timeline.say("beat", "40 minutes on: nobody else paged" if quiet else "UNEXPECTED page")
        if not quiet:
            raise typer.Exit(1)
    _audit_trail(alert.id)


def _alert() -> Alert:
    with session_scope() as session:
        return session.scalars(select(Alert).order_by(Alert.id.desc()).limit(1)).one()


def _audit_trail(alert_id: int) -> None:
    console.print("\n[bold]Audit trail of the alert[/bold]")
    with session_scope() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert_id)
            .order_by(AuditEvent.id)
        ).all()
        names = {f"staff:{m.id}": m.name for m in session.scalars(select(StaffMember))}
    for event in events:
        local = event.at.astimezone(LONDON)
        actor = names.get(event.actor, event.actor)
        console.print(f"  {local:%a %d %b %H:%M:%S}  {event.action:<22} by {actor}")
