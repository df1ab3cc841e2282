"""What every benchmark starts and stops: a fresh PostgreSQL database, a Redis database of its
own, the fake Twilio API, `celery worker`/`celery beat`/uvicorn subprocesses, and the JSON line.

A benchmark points this process at the stack too (environment, settings, Celery app), so the
driver can use the product's own functions (enrolment, the dispatcher) against the same database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from contextlib import ExitStack, suppress
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from schema.db import dispose_engines, get_engine
from schema.encryption import encrypt, keyring, lookup_hmac
from schema.migrate import upgrade
from testing.fake_twilio import FakeTwilio
from testing.trusts import load_always_open_trust as load
from worker.app import get_app
from worker.process_state import reset

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get(
    "BENCH_POSTGRES_URL",
    os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
# Not the tests' database 15; within it each run has keys under a prefix of its own, so runs at
# the same time (two developers, or CI) never meet, and each removes only its own keys.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PUBLIC_BASE_URL = "https://safetynet.bench.example"
TRUST_NUMBER = "+447700900000"
FIRST_COORDINATOR = "+447700900101"  # asha: the first step of the example trust's red chain


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(every)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a prefork worker's pool), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` and its children now alive, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by the nearest-rank method (p99 of 200 values is the 198th)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def summary_ms(seconds: Iterable[float]) -> dict[str, float]:
    values = [s * 1000 for s in seconds]
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(max(values), 1) if values else float("nan"),
        "mean_ms": round(statistics.fmean(values), 1) if values else float("nan"),
    }


def emit(result: dict[str, Any]) -> None:
    """The benchmark's figures: one JSON object, always the last line printed."""
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=True), flush=True)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- PostgreSQL ------------------------------------------------------------------------------


def create_database(prefix: str) -> str:
    """A new database on the server, migrated to head. Returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    url = make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    dispose_engines()
    return url


def drop_database(url: str) -> None:
    dispose_engines()
    name = make_url(url).database
    server = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


# -- subprocesses ----------------------------------------------------------------------------


class Process:
    """A child in its own process group, stopped with its children (prefork pools) at the end."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        output = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def celery_worker_argv(queues: str, concurrency: int, name: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.app:celery_app",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "-n",
        f"{name}@%h",
        "--pool",
        "prefork",
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        "WARNING",
        *extra,
    ]


# -- the stack -------------------------------------------------------------------------------


class Stack:
    """Everything one benchmark run needs, torn down whatever happens (`with Stack(...)`)."""

    def __init__(self, name: str, *, redis_url: str = REDIS_URL, **settings: str) -> None:
        self.name = name
        self.redis_url = redis_url
        self.key_prefix = f"safetynet-bench-{uuid.uuid4().hex[:12]}:"
        self.settings = settings
        self.twilio = FakeTwilio()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.database_url = ""
        self.trust_id = 0
        self.env: dict[str, str] = {}
        self.processes: list[Process] = []
        self._exit = ExitStack()

    def __enter__(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        self.database_url = create_database(f"safetynet_bench_{self.name}")
        self.twilio.start()
        self.env = {
            "DATABASE_URL": self.database_url,
            "BROKER_URL": self.redis_url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "SAFETYNET_DATA_DIR": str(self.workdir / "data"),
            "SMTP_HOST": "",  # email goes to the outbox; these benchmarks are about SMS
            "LOG_LEVEL": "WARNING",
            "BROKER_KEY_PREFIX": self.key_prefix,
            **self.twilio.env(),
            **self.settings,
        }
        self.apply_env(self.env)
        self.trust_id = load_always_open_trust()

    @staticmethod
    def apply_env(env: dict[str, str]) -> None:
        """Point this process (settings, engines, providers, Celery) at `env`."""
        os.environ.update(env)
        reset()

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def queue_length(self, queue: str) -> int:
        client = self.redis()
        try:
            return int(client.llen(self.key_prefix + queue))
        finally:
            client.close()

    def child_env(self, **overrides: str) -> dict[str, str]:
        return {**os.environ, **self.env, **overrides}

    def spawn(self, name: str, argv: list[str], **overrides: str) -> Process:
        process = Process(name, argv, self.child_env(**overrides), self.workdir).start()
        self.processes.append(process)
        return process

    def worker(
        self, queues: str, concurrency: int, name: str, *extra: str, **overrides: str
    ) -> Process:
        argv = celery_worker_argv(queues, concurrency, name, *extra)
        return self.spawn(name, argv, **overrides)

    def beat(self) -> Process:
        schedule = self.workdir / "celerybeat-schedule"
        argv = [sys.executable, "-m", "celery", "-A", "worker.app:celery_app", "beat"]
        argv += ["-s", str(schedule), "--loglevel", "WARNING"]
        return self.spawn("beat", argv)

    def web(self, **overrides: str) -> tuple[Process, str]:
        """uvicorn serving web.app in one process; returns it and its base URL once it answers."""
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
        argv += ["--no-access-log", "--no-proxy-headers"]
        process = self.spawn("web", argv, **overrides)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{base}/healthz", process), timeout=60)
        return process, base

    def wait_for_workers(self, *names: str, timeout: float = 60) -> None:
        """Until each named worker answers a ping over the broker."""
        wanted = set(names)

        def ready() -> bool:
            for process in self.processes:
                if not process.alive() and process.name in wanted:
                    raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
            replies = get_app().control.ping(timeout=0.5) or []
            seen = {name.split("@")[0] for reply in replies for name in reply}
            return wanted <= seen

        wait_until(ready, timeout=timeout, every=0.2)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.twilio.stop()
        self._exit.close()
        with suppress(redis.RedisError):
            client = self.redis()
            for key in client.scan_iter(match=f"{self.key_prefix}*", count=1000):
                client.delete(key)
            client.close()
        if self.database_url:
            drop_database(self.database_url)
            self.database_url = ""
        shutil.rmtree(self.workdir, ignore_errors=True)


def _answers(url: str, process: Process) -> bool:
    if not process.alive():
        raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # 503 while beat has not ticked yet: it is serving
    except OSError:
        return False


def load_always_open_trust() -> int:
    """The example trust with its send window open all day and a welcome-only cohort."""
    return load()


# -- bulk loading ----------------------------------------------------------------------------


def phone_of(i: int) -> str:
    """A distinct UK mobile number for patient `i` (E.164), outside the staff's numbers."""
    return f"+4478{i:09d}"


def bulk_patients(trust_id: int, first: int, count: int, cohort: str = "welcome_only") -> None:
    """`count` patients in one INSERT … SELECT; patient i has phone_of(i) and NHS number i."""
    with get_engine().begin() as connection:
        connection.execute(
            text(
                """
                INSERT INTO patients (trust_id, cohort, nhs_number, given_name, family_name,
                    phone_e164, language, status, enrolled_at, plan_generation, created_at,
                    updated_at)
                SELECT :trust, :cohort, lpad(i::text, 10, '0'), 'Patient' || i, 'Bench',
                    '+4478' || lpad(i::text, 9, '0'), 'en', 'active', now(), 0, now(), now()
                FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i
                """
            ),
            {"trust": trust_id, "cohort": cohort, "first": first, "last": first + count - 1},
        )
        _seal_patients(connection, trust_id)


SEAL_BATCH = 5000


def _seal_patients(connection: Any, trust_id: int) -> None:
    """Encrypt what the INSERT wrote in plain and set each phone's hash, as the models would:
    without the hash no reply finds its patient."""
    ring = keyring()
    while True:
        rows = connection.execute(
            text(
                "SELECT id, given_name, family_name, phone_e164 FROM patients"
                " WHERE trust_id = :trust AND phone_hmac IS NULL AND phone_e164 <> ''"
                f" ORDER BY id LIMIT {SEAL_BATCH}"
            ),
            {"trust": trust_id},
        ).all()
        if not rows:
            return
        connection.execute(
            text(
                "UPDATE patients SET given_name = :given, family_name = :family,"
                " phone_e164 = :phone, phone_hmac = :digest WHERE id = :row_id"
            ),
            [
                {
                    "row_id": row.id,
                    "given": encrypt(row.given_name, ring),
                    "family": encrypt(row.family_name, ring),
                    "phone": encrypt(row.phone_e164, ring),
                    "digest": lookup_hmac(row.phone_e164, ring),
                }
                for row in rows
            ],
        )


def bulk_messages(
    trust_id: int,
    *,
    per_patient: int,
    due_now: int,
    first_patient: int = 0,
    patients: int | None = None,
    future_start: datetime | None = None,
) -> int:
    """`per_patient` welcome SMS rows for each bench patient (by NHS number range), the first
    `due_now` of them due a minute ago and the rest spread over the coming year."""
    where = "trust_id = :trust"
    params: dict[str, Any] = {"trust": trust_id, "per": per_patient, "due": due_now}
    if patients is not None:
        where += " AND nhs_number::bigint BETWEEN :lo AND :hi"
        params |= {"lo": first_patient, "hi": first_patient + patients - 1}
    with get_engine().begin() as connection:
        result = connection.execute(
            text(
                f"""
                INSERT INTO outbound_messages (trust_id, patient_id, channel, kind, queue,
                    template_key, context, to_address, due_at, state, state_changed_at,
                    attempts, idempotency_key, created_at)
                SELECT p.trust_id, p.id, 'sms', 'planned', 'messages', 'welcome', '{{}}'::jsonb,
                    p.phone_e164,
                    CASE WHEN row_number() OVER (ORDER BY s, p.id) <= CAST(:due AS integer)
                         THEN now() - interval '1 minute'
                         ELSE now() + (s * interval '14 days') + (p.id % 1440) * interval '1 minute'
                    END,
                    'scheduled', now(), 0, 'bench:' || p.id || ':' || s, now()
                FROM (SELECT * FROM patients WHERE {where}) AS p
                CROSS JOIN generate_series(1, CAST(:per AS integer)) AS s
                """
            ),
            params,
        )
        connection.execute(text("ANALYZE outbound_messages"))
        connection.execute(text("ANALYZE patients"))
        return int(result.rowcount or 0)
