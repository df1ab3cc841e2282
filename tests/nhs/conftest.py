"""The NHS wiring against its fakes: a fake PDS, the MLLP listener with its real handler on
127.0.0.1, a fake callback receiver, and the example trust open all day (a patient's welcome is
due the moment they are enrolled)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.enrolment import enrol, parse_patient
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.db import session_scope
from schema.models import Base, MessageState, OutboundMessage, Patient, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from testing.fake_twilio import FakeTwilio
from testing.mllp_sender import MllpSender
from testing.trusts import always_open_trust_yaml
from tests.fakes.fake_pds import FakePds
from worker import sending
from worker.hl7_listener import Hl7Intake
from worker.mllp import MllpServer, in_threads
from worker.process_state import reset

PUBLIC_BASE_URL = "https://safetynet.nhs-test.example"
CALLBACK_SECRET = "whsec_test_0123456789abcdef0123456789"
WRITE_BACK = """  write_back:
    callback_url: {url}
    secret_env: RXX_CALLBACK_SECRET
"""


def trust_yaml(
    *, write_back_url: str | None = None, pull_only: bool = False, extra: str = ""
) -> str:
    """The always-open example trust, optionally writing back to `write_back_url` (or pull only)."""
    text = always_open_trust_yaml()
    if write_back_url is not None:
        text += WRITE_BACK.format(url=write_back_url)
    elif pull_only:
        text += "  write_back: {}\n"
    return text + extra


def load(text: str) -> int:
    with session_scope() as session:
        loaded = config_from_text(text)
        return int(load_trust(session, loaded, actor=audit.CLI, now=utcnow()).trust.id)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, fake_twilio: FakeTwilio) -> Callable[..., None]:
    """Point the service at the fakes; `env(NAME=value)` sets more and re-reads the settings."""
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    monkeypatch.setenv("RXX_CALLBACK_SECRET", CALLBACK_SECRET)
    for name, value in fake_twilio.env().items():
        monkeypatch.setenv(name, value)

    def setting(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset()

    setting()
    return setting


@pytest.fixture
def fake_pds() -> Iterator[FakePds]:
    with FakePds() as fake:
        yield fake


@pytest.fixture
def pds_on(fake_pds: FakePds, env: Callable[..., None], tmp_path: Path) -> FakePds:
    """PDS checks on, against the fake."""
    key = tmp_path / "pds-key.pem"
    key.write_bytes(fake_pds.private_key_pem)
    env(
        PDS_BASE_URL=fake_pds.base_url,
        PDS_TOKEN_URL=fake_pds.token_url,
        PDS_API_KEY=fake_pds.api_key,
        PDS_PRIVATE_KEY_PATH=str(key),
        PDS_KEY_ID=fake_pds.key_id,
        PDS_TIMEOUT_SECONDS="2",
    )
    return fake_pds


def enrol_patient(
    nhs_number: str,
    *,
    phone: str = "07700 900123",
    cohort: str = "welcome_only",
    email: str = "",
    given_name: str = "Ann",
    now: datetime | None = None,
) -> int:
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        config = trust_config(trust)
        row = {
            "nhs_number": nhs_number,
            "given_name": given_name,
            "family_name": "Example",
            "phone": phone,
            "email": email,
            "cohort": cohort,
        }
        patient = enrol(
            session, trust, config, parse_patient(row, config), actor=audit.CLI, now=now or utcnow()
        )
        return int(patient.id)


def due_messages(now: datetime | None = None) -> list[int]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(OutboundMessage.id)
                .where(
                    OutboundMessage.state == MessageState.SCHEDULED,
                    OutboundMessage.due_at <= (now or utcnow()),
                )
                .order_by(OutboundMessage.id)
            )
        )


def send_due() -> list[str]:
    """What a worker does with every message due now (no broker: the send path itself)."""
    return [outcome.value for outcome in sending.send_messages(due_messages())]


def patient(patient_id: int) -> Patient:
    with session_scope() as session:
        found = session.get(Patient, patient_id)
        assert found is not None
        session.expunge(found)
        return found


def messages_of(patient_id: int) -> list[OutboundMessage]:
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.patient_id == patient_id)
                .order_by(OutboundMessage.id)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def row_counts() -> dict[str, int]:
    with session_scope() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


@contextmanager
def listening(trust_code: str | None = None, **options: Any) -> Iterator[MllpServer]:
    """The ADT listener with its real handler, on 127.0.0.1, in a thread of its own."""
    loop = asyncio.new_event_loop()
    server = MllpServer(in_threads(Hl7Intake(trust_code, **options)))
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(grace=1.0), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def sender(server: MllpServer) -> MllpSender:
    host, port = server.address
    return MllpSender(host, port, timeout=30.0)  # a loaded machine, not a hang


def in_session(work: Callable[[Session], Any]) -> Any:
    with session_scope() as session:
        return work(session)
