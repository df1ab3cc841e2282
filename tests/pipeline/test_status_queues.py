"""`safetynet status` (beat's health check in compose) on Redis, whose empty queues do not exist."""

from __future__ import annotations

import pytest

from pathway.outbound import Claimed
from schema.models import Queue
from tests.pipeline.conftest import Service
from worker import health, tasks
from worker.app import get_app

pytestmark = pytest.mark.timeout(60)


def test_empty_queues_on_redis_are_reported_empty_not_the_broker_unreachable(
    service: Service,
) -> None:
    report = health.check(with_queues=True)
    assert report.broker == "ok"
    assert report.queues == {"alerts": 0, "messages": 0}
    assert not any("broker" in problem for problem in report.problems)


def test_a_waiting_task_is_counted_in_its_queue(service: Service) -> None:
    assert tasks.publish(get_app(), [Claimed(1, Queue.MESSAGES.value)]) == 1
    report = health.check(with_queues=True)
    assert report.broker == "ok", report.problems
    assert report.queues == {"alerts": 0, "messages": 1}
