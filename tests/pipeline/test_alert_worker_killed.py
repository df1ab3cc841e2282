"""An alerts worker killed while it holds an alert SMS delays that SMS by well under 20 s.

Real processes: an alerts worker (prefork) and beat, on the production stuck timeouts (12 s for
alerts, 120 s for bulk). Twilio holds the first two SMS (the patient's advice and the
coordinator's alert) long enough for the worker to be SIGKILLed with both in hand; Redis gives
nothing back for an hour (its visibility timeout), so it is the database-driven stuck sweep that
publishes them again, to a new worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from testing.twilio_signing import signed_headers
from tests.conftest import LOCAL
from tests.pipeline.conftest import PUBLIC_BASE_URL, Service, WorkerProcess, wait_until
from web.app import create_app
from worker.app import get_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

TRUST_NUMBER = "+447700900000"
FIRST_COORDINATOR = "+447700900101"
HELD_FOR = 60.0  # longer than the test: the dead worker's requests answer after it ends
PRODUCTION_STUCK = {"STUCK_AFTER_SECONDS": "120", "ALERTS_STUCK_AFTER_SECONDS": "12"}


@pytest.fixture
def beat(service: Service, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    schedule = str(tmp_path / "celerybeat-schedule")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.app:celery_app", "beat", "-s", schedule],
        env={**os.environ, **service.env, **PRODUCTION_STUCK},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def alerts_worker(service: Service, log: Path) -> WorkerProcess:
    worker = WorkerProcess({**service.env, **PRODUCTION_STUCK}, "alerts", 2, log).start()
    wait_until(lambda: bool(get_app().control.ping(timeout=0.3)), timeout=60)
    return worker


def first_arrival(service: Service, to: str) -> float:
    return min(m.received_monotonic for m in service.twilio.messages if m.to == to)


def test_an_alert_sms_held_by_a_sigkilled_alerts_worker_reaches_the_coordinator_within_20_s(
    service: Service, beat: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    service.enrol(1)
    patient_phone = "+447700900300"  # the first patient service.enrol makes
    log = tmp_path / "workers.log"
    first = alerts_worker(service, log)
    service.twilio.delay_next(2, HELD_FOR)
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": patient_phone,
        "To": TRUST_NUMBER,
        "Body": "My legs keep giving way and I cannot feel my feet",
    }
    with TestClient(create_app(), base_url=LOCAL) as client:
        replied = time.monotonic()
        headers = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, service.twilio.auth_token)
        assert client.post("/twilio/sms", data=params, headers=headers).status_code == 200
        wait_until(lambda: service.twilio.request_count >= 2, timeout=20)
        held = time.monotonic() - replied
        first.kill()
        killed = time.monotonic()
        second = alerts_worker(service, log)
        try:
            delivered = {FIRST_COORDINATOR, patient_phone}
            wait_until(lambda: delivered <= {m.to for m in service.twilio.messages}, timeout=40)
        finally:
            second.stop()
    coordinator = first_arrival(service, FIRST_COORDINATOR) - replied
    advice = first_arrival(service, patient_phone) - replied
    after_kill = coordinator - (killed - replied)
    print(
        f"\nboth SMS held by the worker {held:.2f} s after the reply; SIGKILL; the coordinator's "
        f"SMS arrived {coordinator:.1f} s after the reply ({after_kill:.1f} s after the kill), "
        f"the patient's advice {advice:.1f} s after"
    )
    assert coordinator < 20
    assert advice < 20
