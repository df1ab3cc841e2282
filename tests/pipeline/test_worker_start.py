"""What a worker does before its pool forks, according to the queues it consumes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from worker import app as worker_app


def start_worker_consuming(*queues: str) -> None:
    amqp = SimpleNamespace(queues=SimpleNamespace(consume_from={q: object() for q in queues}))
    worker_app._before_the_pool_forks(sender=SimpleNamespace(app=SimpleNamespace(amqp=amqp)))


@pytest.fixture
def niceness_asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    asked: list[int] = []
    monkeypatch.setattr(worker_app.os, "nice", asked.append)
    return asked


def test_a_worker_sending_only_bulk_messages_yields_the_cpu_to_the_alerts_worker(
    niceness_asked: list[int],
) -> None:
    start_worker_consuming("messages")
    assert niceness_asked == [worker_app.BULK_WORKER_NICENESS]


@pytest.mark.parametrize("queues", [("alerts",), ("alerts", "messages")])
def test_a_worker_that_handles_alerts_keeps_its_full_priority(
    niceness_asked: list[int], queues: tuple[str, ...]
) -> None:
    start_worker_consuming(*queues)
    assert niceness_asked == []
