"""The NHS work in beat: on the messages queue, never in the way of alerts; and the hourly purge
of raw bodies received from the trust's systems."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from schema.db import session_scope
from schema.models import IntegrationMessage, Queue
from schema.types import utcnow
from testing.adt_messages import adt
from tests.nhs.conftest import listening, load, sender, trust_yaml
from worker import tasks
from worker.process_state import reset

NHS_TASKS = (tasks.check_pds, tasks.deliver_callbacks, tasks.purge_integration_raw)


def test_the_nhs_tasks_run_on_the_messages_queue_and_beat_schedules_each() -> None:
    assert {task.queue for task in NHS_TASKS} == {Queue.MESSAGES.value}
    scheduled = {entry["task"] for entry in tasks.BEAT_SCHEDULE.values()}
    assert {task.name for task in NHS_TASKS} <= scheduled


def test_with_pds_off_and_nothing_to_write_back_the_tasks_do_nothing(sqlite_url: str) -> None:
    load(trust_yaml())
    assert tasks.check_pds() == 0
    assert tasks.deliver_callbacks() == 0


@pytest.mark.parametrize("days", ["30", "0"])
def test_raw_bodies_are_cleared_after_the_retention_period_and_the_record_stays(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, days: str
) -> None:
    monkeypatch.setenv("INTEGRATION_RAW_RETENTION_DAYS", days)
    reset()
    load(trust_yaml())
    with listening() as server, sender(server) as client:
        client.send(adt("A01", control_id="OLD"))
        client.send(adt("A01", control_id="NEW", nhs_number="9434765870"))
    with session_scope() as session:
        session.execute(
            update(IntegrationMessage)
            .where(IntegrationMessage.message_id == "OLD")
            .values(received_at=utcnow() - timedelta(days=31))
        )
    tasks.purge_integration_raw()
    with session_scope() as session:
        rows = {m.message_id: m for m in session.scalars(select(IntegrationMessage))}
        assert rows["OLD"].raw is None and rows["OLD"].outcome == "enrolled"
        if days == "30":
            assert rows["OLD"].raw_purged_at is not None
            assert rows["NEW"].raw is not None and "PID|" in rows["NEW"].raw
        else:  # kept nothing from the start
            assert rows["NEW"].raw is None
        assert rows["NEW"].response.startswith("MSH|")
