"""The Twilio API answering 500, then 429, then not answering in time, in the middle of a batch.

Red replies arrive in each fault window. The retry delays (30 s and more for bulk messages) are
skipped by bringing waiting retries forward (see conftest). A request that times out is still
accepted by the fake, as by Twilio, and sent again by us: each one is a duplicate by design, so
the number of timed-out requests bounds the duplicates.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from schema.settings import reset_settings_cache
from tests.pipeline.conftest import Service, sent_count, wait_for_progress, worker_process
from tests.reliability.conftest import (
    beat_tick,
    drive_until,
    outcome,
    post_red_reply,
    settled,
)
from worker.providers.twilio.client import TwilioSmsProvider

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BATCH = 500
TIMED_OUT_REQUESTS = 2
PROVIDER_TIMEOUT = TwilioSmsProvider("AC", "token", None).timeout


def test_twilio_answering_500_then_429_then_timing_out_mid_batch_loses_no_message_and_no_alert(
    service: Service, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stuck sweep (run here) must not take a request still waiting for its timeout as lost.
    monkeypatch.setenv("STUCK_AFTER_SECONDS", str(int(PROVIDER_TIMEOUT) + 10))
    reset_settings_cache()
    service.enrol(BATCH)
    senders = iter(f"+447700{900300 + i}" for i in range(BATCH))
    service.twilio.delay_next(BATCH // 2, 0.01)
    reply_sids: list[str] = []
    log = tmp_path / "workers.log"
    with (
        worker_process(service, queues="messages", concurrency=2, log=log),
        worker_process(service, queues="alerts", concurrency=1, log=log),
    ):
        assert service.dispatch() == BATCH
        wait_for_progress(sent_count, BATCH // 10, what="SMS sent")

        service.twilio.fail_for(1.5, status=500)
        reply_sids += [post_red_reply(client, service, next(senders)) for _ in range(2)]
        time.sleep(1.5)
        at_first_fault = sent_count()

        service.twilio.fail_for(1.5, status=429, code=20429)
        beat_tick(service)  # the refused ones, retried into the next fault
        reply_sids += [post_red_reply(client, service, next(senders)) for _ in range(2)]
        time.sleep(1.5)

        service.twilio.delay_next(TIMED_OUT_REQUESTS, PROVIDER_TIMEOUT + 1)
        beat_tick(service)
        reply_sids += [post_red_reply(client, service, next(senders)) for _ in range(2)]
        time.sleep(PROVIDER_TIMEOUT + 2)

        drive_until(service, lambda: settled(service, reply_sids))
        result = outcome(service, reply_sids)
        refused = service.twilio.request_count - len(service.twilio.messages)

    print(result.report(f"Twilio 500 x1.5 s, 429 x1.5 s, {TIMED_OUT_REQUESTS} timeouts"))
    print(f"{refused} requests refused by the fake during the faults")
    assert at_first_fault < BATCH, "the batch finished before the faults; the test proves nothing"
    assert refused > 0
    assert result.lost == []
    assert result.alerts_unreached == []
    assert result.duplicates <= TIMED_OUT_REQUESTS
    assert result.duplicates < result.outbound_sms * 0.01
