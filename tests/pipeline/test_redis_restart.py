"""Redis restarted in the middle of a batch: the messages it held are lost, ours are not.

A private redis-server is started for this module, so restarting it disturbs nothing else.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.pipeline.conftest import (
    Service,
    sent_count,
    wait_for_progress,
    wait_until,
    worker_process,
)
from tests.pipeline.test_worker_killed import drive_until_all_sent, duplicates

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BATCH = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required for this test"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_broker(private_redis: RedisServer) -> str:
    return f"redis://127.0.0.1:{private_redis.port}/0"


def test_redis_restarted_mid_batch_loses_no_message(
    service: Service, private_redis: RedisServer, tmp_path: Path
) -> None:
    service.enrol(BATCH)
    service.twilio.delay_next(BATCH, 0.02)  # slow enough that Redis is restarted mid-batch
    with worker_process(service, queues="messages", concurrency=2, log=tmp_path / "w.log"):
        assert service.dispatch() == BATCH
        wait_for_progress(lambda: len(service.twilio.messages), BATCH // 5, what="SMS accepted")
        private_redis.stop()
        lost_with_redis = BATCH - sent_count()
        time.sleep(1)
        private_redis.start()
        drive_until_all_sent(service, BATCH)
    print(
        f"\nRedis restarted with about {lost_with_redis} messages not yet sent: all {BATCH} "
        f"sent, {duplicates(service)} sent twice"
    )
    assert lost_with_redis > 0, "the batch finished before the restart; the test proves nothing"
    assert len({m.to for m in service.twilio.messages}) == BATCH
    assert duplicates(service) < BATCH * 0.01
