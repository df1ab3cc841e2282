"""The service wired to real parts: PostgreSQL, Redis, the fake Twilio API and an SMTP server.

Workers are real: `worker_thread` runs Celery's test worker in this process (threads pool);
`WorkerProcess` runs `celery worker` as a subprocess, for tests that kill it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.enrolment import enrol, parse_patient
from schema.db import session_factory, session_scope
from schema.models import MessageState, OutboundMessage, Patient, Queue, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from testing.fake_twilio import FakeTwilio
from testing.trusts import load_always_open_trust
from tests.conftest import LOCAL
from tests.fakes.smtp_server import SmtpTestServer
from web.app import create_app
from worker import tasks
from worker.app import get_app
from worker.process_state import reset

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PUBLIC_BASE_URL = "https://safetynet.test.example"


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(every)


# How long real workers may make no progress at all before the test fails. A loaded CI machine
# makes them slow, never motionless for this long; a stalled or dead worker is.
STALL_SECONDS = 45.0


class Progress:
    """A count that must keep rising while a test waits on real workers.

    `check` fails only when the count has not risen for `stall` seconds, so a slow machine
    passes however long the whole wait takes, and a stalled pipeline still fails.
    """

    def __init__(
        self, measure: Callable[[], float], stall: float = STALL_SECONDS, what: str = "progress"
    ) -> None:
        self.measure = measure
        self.stall = stall
        self.what = what
        self.best = measure()
        self.rose_at = time.monotonic()

    def check(self) -> float:
        value = self.measure()
        now = time.monotonic()
        if value > self.best:
            self.best, self.rose_at = value, now
        elif now - self.rose_at > self.stall:
            raise TimeoutError(f"{self.what} stalled at {self.best} for {self.stall:.0f} s")
        return value


def wait_for_progress(
    measure: Callable[[], float],
    target: float,
    *,
    stall: float = STALL_SECONDS,
    every: float = 0.05,
    what: str = "progress",
) -> float:
    """Until `measure()` reaches `target`, however slowly it rises; fails once it stops rising
    for `stall` seconds. Returns the last value measured."""
    progress = Progress(measure, stall, what)
    while (value := progress.check()) < target:
        time.sleep(every)
    return value


def count_messages(**where: Any) -> int:
    with session_scope() as session:
        query = select(func.count()).select_from(OutboundMessage)
        for name, value in where.items():
            column = getattr(OutboundMessage, name)
            query = query.where(
                column.in_(value) if isinstance(value, list | tuple) else column == value
            )
        return int(session.scalar(query) or 0)


@dataclass
class Service:
    url: str
    broker_url: str
    twilio: FakeTwilio
    smtp: SmtpTestServer
    trust_id: int
    env: dict[str, str]

    def enrol(
        self,
        count: int,
        *,
        first_phone: int = 900300,
        email: bool = False,
        cohort: str = "welcome_only",
    ) -> list[int]:
        """Enrol `count` patients whose welcome is due now (the window is open all day)."""
        ids = []
        with session_scope() as session:
            trust = session.get(Trust, self.trust_id)
            assert trust is not None
            config = trust_config(trust)
            for i in range(count):
                row = {
                    "nhs_number": _nhs_number(i),
                    "given_name": f"Patient{i}",
                    "family_name": "Test",
                    "phone": f"+447700{first_phone + i}",
                    "email": f"patient{i}@example.com" if email else "",
                    "cohort": cohort,
                }
                patient = enrol(
                    session,
                    trust,
                    config,
                    parse_patient(row, config),
                    actor=audit.CLI,
                    now=utcnow(),
                )
                ids.append(patient.id)
        return ids

    def dispatch(self) -> int:
        """One beat tick of both dispatchers (alerts, then bulk), run here as beat would."""
        return int(tasks.dispatch_due()) + int(tasks.dispatch_bulk())

    def redispatch(self) -> int:
        return int(tasks.redispatch_stuck())

    def session(self) -> Session:
        return session_factory()()


def _nhs_number(i: int) -> str:
    base = f"{900000000 + i * 7:09d}"
    for _ in range(20):
        total = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return base + str(check)
        base = f"{int(base) + 1:09d}"
    raise AssertionError("no NHS number")


@pytest.fixture
def redis_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Redis, with keys under a prefix of this test's own, so concurrent runs never meet."""
    prefix = f"safetynet-test-{uuid.uuid4().hex[:12]}:"
    monkeypatch.setenv("BROKER_KEY_PREFIX", prefix)
    yield REDIS_URL
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def service(
    pg_url: str,
    redis_broker: str,
    fake_twilio: FakeTwilio,
    smtp_server: SmtpTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Service]:
    env = {
        "DATABASE_URL": pg_url,
        "BROKER_URL": redis_broker,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "STUCK_AFTER_SECONDS": "3",
        "BROKER_KEY_PREFIX": os.environ.get("BROKER_KEY_PREFIX", ""),
        "SAFETYNET_DATA_DIR": os.environ["SAFETYNET_DATA_DIR"],
        **fake_twilio.env(),
        **smtp_server.env(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset()
    get_app()  # before any task runs here: a task called first would resolve to Celery's fallback
    trust_id = load_always_open_trust()
    yield Service(pg_url, redis_broker, fake_twilio, smtp_server, trust_id, env)
    reset()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    """The web app, started (its spool drainer and all) on the service's settings."""
    with TestClient(create_app(), base_url=LOCAL) as test_client:
        yield test_client


@pytest.fixture
def worker_thread(service: Service) -> Iterator[Any]:
    """A real Celery worker consuming both queues from Redis, in this process."""
    with start_worker(
        get_app(),
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        queues=[q.value for q in Queue],
        shutdown_timeout=30,
    ) as worker:
        yield worker


class WorkerProcess:
    """`celery worker` in its own process group, so a test can SIGKILL it and its children."""

    def __init__(
        self, env: dict[str, str], queues: str, concurrency: int = 2, log: Path | None = None
    ) -> None:
        self.env = {**os.environ, **env}
        self.queues = queues
        self.concurrency = concurrency
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.app:celery_app",
                "worker",
                "-Q",
                self.queues,
                "-c",
                str(self.concurrency),
                "--pool",
                "prefork",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "WARNING",
            ],
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def worker_process(
    service: Service, queues: str = "alerts,messages", concurrency: int = 2, log: Path | None = None
) -> Iterator[WorkerProcess]:
    process = WorkerProcess(service.env, queues, concurrency, log).start()
    try:
        yield process
    finally:
        process.stop()


def sent_count() -> int:
    return count_messages(state=[MessageState.SENT, MessageState.DELIVERED])


def patient_ids() -> list[int]:
    with session_scope() as session:
        return list(session.scalars(select(Patient.id)))
