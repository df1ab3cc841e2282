"""Redis through Sentinel: a real master and a real `redis-server --sentinel` on free ports of
127.0.0.1, and the worker app finding the master through the sentinel (BROKER_URL sentinel://,
BROKER_TRANSPORT_OPTIONS naming the master)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from schema.models import Queue
from testing.own_postgres import free_port
from tests.pipeline.conftest import Service, sent_count, wait_until
from worker import health
from worker.app import get_app
from worker.process_state import reset

pytestmark = pytest.mark.timeout(90)

MASTER_NAME = "safetynet-test-master"


@dataclass
class Sentinel:
    master_port: int
    sentinel_port: int

    @property
    def broker_url(self) -> str:
        return f"sentinel://127.0.0.1:{self.sentinel_port}/0"


def _answers(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_timeout=1).ping())
    except redis.ConnectionError:
        return False


def _knows_master(port: int) -> bool:
    client = redis.Redis(port=port, socket_timeout=1, decode_responses=True)
    try:
        return (
            client.execute_command("SENTINEL", "get-master-addr-by-name", MASTER_NAME) is not None
        )
    except redis.ConnectionError:
        return False


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[Sentinel]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required for this test"
    master_port, sentinel_port = free_port(), free_port()
    config = tmp_path / "sentinel.conf"  # a sentinel rewrites its configuration: a file of its own
    config.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 1\n"
    )
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    master = subprocess.Popen(
        [binary, "--port", str(master_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        **quiet,
    )  # fmt: skip
    watcher = subprocess.Popen([binary, str(config), "--sentinel"], **quiet)
    try:
        wait_until(lambda: _answers(master_port), timeout=10)
        wait_until(lambda: _knows_master(sentinel_port), timeout=10)
        yield Sentinel(master_port, sentinel_port)
    finally:
        for process in (watcher, master):
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def through_sentinel(
    service: Service, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch
) -> Sentinel:
    monkeypatch.setenv("BROKER_URL", sentinel.broker_url)
    monkeypatch.setenv("BROKER_TRANSPORT_OPTIONS", json.dumps({"master_name": MASTER_NAME}))
    monkeypatch.delenv("BROKER_KEY_PREFIX", raising=False)
    reset()
    return sentinel


def test_the_worker_app_reaches_the_master_through_the_sentinel(
    service: Service, through_sentinel: Sentinel
) -> None:
    app = get_app()
    assert app.conf.broker_transport == "worker.redis_transport:SentinelTransport"
    assert app.conf.broker_transport_options["master_name"] == MASTER_NAME
    service.enrol(3)
    assert service.dispatch() == 3  # published through the sentinel, to the master
    master = redis.Redis(port=through_sentinel.master_port)
    assert master.llen(Queue.MESSAGES.value) == 1  # one batch task of three messages

    report = health.check(with_queues=True)
    assert report.broker == "ok"
    assert report.queues == {"alerts": 0, "messages": 1}

    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False,
        queues=[q.value for q in Queue], shutdown_timeout=30,
    ):  # fmt: skip
        wait_until(lambda: sent_count() == 3, timeout=30)
    assert len(service.twilio.messages) == 3
