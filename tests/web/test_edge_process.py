"""A real uvicorn process under oversized bodies: 100 MB streamed to every route, each answered
413, the process's peak memory growing by well under 50 MB (bench/edge_memory.py streams the
full 800 MB)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from bench.edge_memory import memory_mb, public_routes, reset_peak, stream_chunked
from bench.harness import free_port
from tests.pipeline.conftest import wait_until

pytestmark = pytest.mark.timeout(180)

MEGABYTES = 100


@pytest.fixture
def web_process(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": sqlite_url, "PUBLIC_BASE_URL": "https://edge.example"}
    argv = [sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--no-proxy-headers", "--no-access-log"]
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)

    def answers() -> bool:
        assert process.poll() is None, (tmp_path / "web.log").read_text()
        try:
            httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=1)
            return True
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, timeout=60)
        yield process.pid, port
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_100_mb_streamed_to_every_route_is_refused_with_413_and_the_memory_stays_put(
    web_process: tuple[int, int],
) -> None:
    pid, port = web_process
    routes = public_routes()
    assert len(routes) > 20
    for method, path in routes:
        before = memory_mb(pid, "VmRSS")
        reset_peak(pid)
        status, _ = stream_chunked(port, method, path, MEGABYTES * 1024 * 1024)
        growth = memory_mb(pid, "VmHWM") - before
        assert status == 413, (method, path)
        assert growth < 50, (method, path, growth)
