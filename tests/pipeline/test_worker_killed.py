"""A worker killed with SIGKILL in the middle of a batch loses nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.pipeline.conftest import (
    STALL_SECONDS,
    Progress,
    Service,
    sent_count,
    wait_for_progress,
    worker_process,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BATCH = 500


def drive_until_all_sent(service: Service, total: int, stall: float = STALL_SECONDS) -> None:
    """Beat's part, played by the test: dispatch and rescue stuck messages every half second,
    until all are sent; fails only when no message is sent for `stall` seconds."""
    progress = Progress(sent_count, stall, f"SMS sent (of {total})")
    while progress.check() < total:
        service.redispatch()
        service.dispatch()
        time.sleep(0.5)


def duplicates(service: Service) -> int:
    recipients = [m.to for m in service.twilio.messages]
    return len(recipients) - len(set(recipients))


def test_a_worker_killed_mid_batch_then_restarted_sends_every_message(
    service: Service, tmp_path: Path
) -> None:
    service.enrol(BATCH)
    log = tmp_path / "worker.log"
    with worker_process(service, queues="messages", concurrency=2, log=log) as first:
        assert service.dispatch() == BATCH
        wait_for_progress(lambda: len(service.twilio.messages), BATCH // 5, what="SMS accepted")
        first.kill()
    at_kill = len(service.twilio.messages)
    assert at_kill < BATCH, "the batch finished before the kill; the test proves nothing"
    with worker_process(service, queues="messages", concurrency=2, log=log):
        drive_until_all_sent(service, BATCH)
    sent_twice = duplicates(service)
    print(
        f"\nSIGKILL after {at_kill} of {BATCH}: all {BATCH} sent, {sent_twice} sent twice "
        f"({sent_twice / BATCH:.1%})"
    )
    assert len({m.to for m in service.twilio.messages}) == BATCH
    assert sent_twice < BATCH * 0.01
