"""`safetynet serve`: the whole service from one command, on its embedded defaults or real ones.

It migrates the database, loads the example trust when there is none, then runs the web app, a
worker per queue and beat as child processes (honcho), stopping them all cleanly on Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import shlex
import socket
import sys
import threading
import time
from pathlib import Path

import typer
from honcho.manager import Manager
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.common import console
from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import read_config_file
from schema.db import dispose_engines, is_sqlite, session_scope
from schema.migrate import upgrade
from schema.models import StaffMember, StaffRole, Trust
from schema.settings import Settings, get_settings, reset_settings_cache
from schema.types import utcnow
from worker.health import describe_broker, redact_url

EXAMPLE_TRUST = Path(__file__).resolve().parent.parent / "examples" / "trust.yaml"


def serve_command(
    host: str = typer.Option("127.0.0.1", help="Where the web app listens."),
    port: int = typer.Option(8000, help="The web app's port."),
    concurrency: int = typer.Option(2, help="Processes per worker (one worker per queue)."),
) -> None:
    """Run the service: web app, a worker for each queue, and beat."""
    if not os.environ.get("PUBLIC_BASE_URL"):
        # Webhooks and links point at where this process listens, unless told otherwise.
        os.environ["PUBLIC_BASE_URL"] = f"http://{host}:{port}"
        reset_settings_cache()
    settings = get_settings()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = settings.resolved_database_url
    upgrade(database_url)
    with session_scope() as session:
        trust = _trust(session)
        first_sign_in = _first_sign_in(session, trust) if trust else None
    dispose_engines()
    _describe(settings, host, port, concurrency, trust)

    env = {**os.environ, "SAFETYNET_DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
    python = shlex.quote(sys.executable)
    celery = f"{python} -m celery -A worker.app:celery_app --quiet"  # no banners
    worker = f"{celery} worker --without-mingle --without-gossip -l WARNING -c {concurrency}"
    manager = Manager()
    manager.add_process(
        "web",
        f"{python} -m uvicorn web.app:app --host {shlex.quote(host)} --port {port}"
        " --no-proxy-headers",  # FORWARDED_ALLOW_IPS decides, in the app
        env=env,
    )
    manager.add_process("worker-alerts", f"{worker} -Q alerts -n alerts@%h", env=env)
    manager.add_process("worker-messages", f"{worker} -Q messages -n messages@%h", env=env)
    schedule = shlex.quote(str(data_dir / "celerybeat-schedule"))
    manager.add_process("beat", f"{celery} beat -l WARNING -s {schedule}", env=env)
    _say_when_listening(host, port, _welcome(settings, host, port, first_sign_in))
    manager.loop()
    raise typer.Exit(manager.returncode or 0)


def _say_when_listening(host: str, port: int, lines: list[str]) -> None:
    """Print what a newcomer needs (the first sign-in, how to play a patient) once the web app
    answers and the start-up lines of the processes are past, not above them."""

    def wait_then_say() -> None:
        target = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                socket.create_connection((target, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.25)
        time.sleep(READY_GRACE_SECONDS)
        for line in lines:
            console.print(line, soft_wrap=True)

    threading.Thread(target=wait_then_say, name="serve-welcome", daemon=True).start()


READY_TIMEOUT_SECONDS = 90.0
READY_GRACE_SECONDS = 1.0  # the workers and beat log their first lines just after the web's


def _welcome(
    settings: Settings, host: str, port: int, first_sign_in: tuple[str, str | None] | None
) -> list[str]:
    lines = [f"\n[bold]MSCC Safety Net is ready[/bold] at http://{host}:{port}/"]
    if first_sign_in is not None:
        email_address, password = first_sign_in
        if password:
            lines.append(
                f"  Sign in as [bold]{email_address}[/bold] with password [bold]{password}[/bold]"
                "\n  (shown this once; change it on the dashboard, under your name)"
            )
        else:
            lines.append(
                f"  Sign in as {email_address} (reset a forgotten password with "
                f"`safetynet staff set-password {email_address}`)"
            )
    lines += simulation_hint(settings, host, port)
    lines.append("\nPress Ctrl-C to stop.\n")
    return lines


def _trust(session: Session) -> Trust | None:
    trust = session.scalars(select(Trust).order_by(Trust.id).limit(1)).first()
    if trust is None and EXAMPLE_TRUST.exists():
        loaded = read_config_file(EXAMPLE_TRUST)
        trust = load_trust(session, loaded, actor=audit.CLI, now=utcnow()).trust
        console.print(f"no trust yet: loaded the fictional example {EXAMPLE_TRUST.name}")
    return trust


def _first_sign_in(session: Session, trust: Trust) -> tuple[str, str | None] | None:
    """An admin to sign in as. Its password is made and shown once, the first time only."""
    admins = session.scalars(
        select(StaffMember)
        .where(
            StaffMember.trust_id == trust.id,
            StaffMember.role == StaffRole.ADMIN,
            StaffMember.active.is_(True),
            StaffMember.email.is_not(None),
        )
        .order_by(StaffMember.id)
    ).all()
    if not admins:
        return None
    with_password = next((a for a in admins if a.password_hash), None)
    if with_password is not None:
        assert with_password.email is not None
        return with_password.email, None
    from pathway.staff_accounts import set_password  # noqa: PLC0415 - needed only when the first admin has no password yet
    from web.auth import passwords  # noqa: PLC0415 - web.auth.passwords hashes a dummy password at import (0.1 s): only needed here

    admin = admins[0]
    password = secrets.token_urlsafe(15)
    set_password(session, admin, password, actor=audit.CLI, passwords=passwords, now=utcnow())
    assert admin.email is not None
    return admin.email, password


def simulation_hint(settings: Settings, host: str, port: int) -> list[str]:
    """Said plainly on embedded defaults: no reply can come in by webhook, and how to play one."""
    if settings.twilio_auth_token:
        return []
    return [
        "\n  [bold]Webhooks are refused[/bold] (403) until TWILIO_AUTH_TOKEN is set: nothing can"
        " sign them.",
        "  To play a patient, sign in as an admin and open"
        f" http://{host}:{port}/patient-phone, or run",
        '    safetynet sms receive --from "07700 900123" "my legs feel weak"',
    ]


def _describe(
    settings: Settings,
    host: str,
    port: int,
    concurrency: int,
    trust: Trust | None,
) -> None:
    data_dir = settings.data_dir.resolve()
    database = redact_url(settings.resolved_database_url)
    if is_sqlite(settings.resolved_database_url):
        database += " (SQLite, WAL)"
    outbox = data_dir / "outbox"
    sms = (
        "twilio"
        if settings.sms_provider == "twilio"
        else f"outbox, recorded in {outbox / 'sms.jsonl'} (set TWILIO_ACCOUNT_SID and "
        "TWILIO_AUTH_TOKEN to send)"
    )
    email = (
        f"smtp via {settings.smtp_host}:{settings.smtp_port}"
        if settings.email_provider == "smtp"
        else f"outbox, recorded in {outbox / 'email.jsonl'} (set SMTP_HOST to send)"
    )
    lines = [
        ("dashboard", f"http://{host}:{port}/"),
        (
            "webhooks",
            f"{settings.public_base_url}/twilio/sms and /twilio/status "
            "(Twilio signs against PUBLIC_BASE_URL)",
        ),
        ("trust", f"{trust.code} {trust.name}" if trust else "none: `safetynet trust load`"),
        ("database", database),
        ("broker", describe_broker()),
        ("SMS", sms),
        ("email", email),
        (
            "workers",
            f"alerts ({concurrency} processes), messages ({concurrency} processes), beat (1)",
        ),
    ]
    console.print("[bold]MSCC Safety Net[/bold] is starting")
    for name, detail in lines:
        console.print(f"  {name:<10} {detail}", soft_wrap=True)
    console.print("  (the first sign-in follows once the web app answers)", soft_wrap=True)
