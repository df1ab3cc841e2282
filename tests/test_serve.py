"""`safetynet serve` on embedded defaults: one command, a dashboard that answers, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.mark.timeout(120)
def test_serve_starts_everything_on_embedded_defaults_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "BROKER_URL", "SAFETYNET_DATA_DIR", "PUBLIC_BASE_URL")
        and not k.startswith(("TWILIO_", "SMTP_"))
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port), "--concurrency", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        health: dict[str, object] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                health = json.loads(body)
                if status == 200:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        assert health.get("ok") is True, health
        assert health["database"] == "ok" and health["broker"] == "ok"
        status, _ = get(f"http://127.0.0.1:{port}/")
        assert status in (200, 303, 307)
        status, page = get(f"http://127.0.0.1:{port}/sign-in")
        assert status == 200 and "password" in page.lower()
        assert (tmp_path / "safetynet-data" / "safetynet.db").exists()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=40)
    assert "Sign in as priya.shah@riverside.example.nhs.uk with password" in output
    # Quiet by default (issue 18): the sign-in comes after every process has started, and
    # neither beat's ticks nor kombu's "no hostname" warnings bury it.
    started = [i for i, line in enumerate(output.splitlines()) if "started (pid=" in line]
    sign_in = next(i for i, line in enumerate(output.splitlines()) if "Sign in as" in line)
    assert len(started) == 4 and sign_in > max(started), output
    assert "Sending due task" not in output and "No hostname" not in output, output
    assert "] received" not in output and " succeeded in " not in output, output
    assert "Webhooks are refused" in output and "/patient-phone" in output
    for part in ("dashboard", "database", "broker", "SMS", "email", "workers"):
        assert f"  {part}" in output
    assert "web stopped" in output and "beat stopped" in output
    leftover = subprocess.run(["pgrep", "-f", f"--port {port}"], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
