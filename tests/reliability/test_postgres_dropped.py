"""PostgreSQL connections dropped (pg_terminate_backend) in the middle of a batch.

Every backend of the test's own database except the killer's is terminated twelve times while
the workers send: the workers, the dispatcher and the webhook all lose their connections at
once. Red replies are posted in the middle of it, each once (Twilio never posts again after an
error): each must be answered 200 and stored, from the spool if the database failed it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.pipeline.conftest import Service, sent_count, wait_for_progress, worker_process
from tests.reliability.conftest import (
    drive_until,
    outcome,
    post_red_reply,
    settled,
    stored_once,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

BATCH = 500
REPLIES = 6


def terminate_backends(url: str) -> int:
    """Drop every other connection to this test's database (and only this one)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_postgres_connections_dropped_mid_batch_lose_no_message_and_no_alert(
    service: Service, client: TestClient, tmp_path: Path
) -> None:
    service.enrol(BATCH)
    senders = [f"+447700{900300 + i}" for i in range(REPLIES)]
    service.twilio.delay_next(BATCH, 0.01)  # a batch long enough to be caught in the middle
    reply_sids: list[str] = []
    terminated = []
    log = tmp_path / "workers.log"
    with (
        worker_process(service, queues="messages", concurrency=2, log=log),
        worker_process(service, queues="alerts", concurrency=1, log=log),
    ):
        assert service.dispatch() == BATCH
        for fraction in (0.15, 0.35, 0.55):
            wait_for_progress(sent_count, BATCH * fraction, what="SMS sent")
            for _ in range(4):  # connections in use are hit, not only idle pooled ones
                terminated.append(terminate_backends(service.url))
                time.sleep(0.05)
            for sender in senders[: REPLIES // 3]:
                reply_sids.append(post_red_reply(client, service, sender))
            senders = senders[REPLIES // 3 :]
            time.sleep(0.2)
        at_last_fault = sent_count()
        drive_until(service, lambda: stored_once(reply_sids) and settled(service, reply_sids))
        result = outcome(service, reply_sids)

    errors = [line for line in log.read_text().splitlines() if "OperationalError" in line]
    print(result.report(f"pg_terminate_backend x12 ({sum(terminated)} backends)"))
    print(f"all {len(reply_sids)} replies answered 200 (each posted once) and stored once")
    print(f"{len(errors)} database errors in the workers' log")
    assert at_last_fault < BATCH, "the batch finished before the faults; the test proves nothing"
    assert sum(terminated) > 0
    assert stored_once(reply_sids)
    assert result.lost == []
    assert result.alerts_unreached == []
    assert result.duplicates < result.outbound_sms * 0.01
