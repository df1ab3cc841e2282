"""Quiet by default (issue 18, item 10): beat's ticks and a worker's routine task lines at DEBUG,
kombu's "no hostname" warning for the embedded broker gone, failures as loud as before."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from worker.logs import quiet_library_noise


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[Kept]:
    root = logging.getLogger()
    handler, level = Kept(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    quiet_library_noise()
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_beat_ticks_and_routine_task_lines_are_debug_and_hidden_at_info(kept: Kept) -> None:
    logging.getLogger("celery.beat").info(
        "Scheduler: Sending due task %s (%s)", "dispatch-due-messages", "example_tasks.dispatch_due"
    )
    logging.getLogger("celery.worker.strategy").info("Task example_tasks.dispatch_due[ab] received")
    logging.getLogger("celery.app.trace").info(
        "Task example_tasks.dispatch_due[ab] succeeded in 0.01s: 0"
    )
    logging.getLogger("kombu.connection").warning(
        "No hostname was supplied. Reverting to default 'localhost'"
    )
    assert kept.records == []


def test_a_failed_task_and_beats_start_still_show(kept: Kept) -> None:
    logging.getLogger("celery.app.trace").error("Task example_tasks.send_message[ab] raised: X")
    logging.getLogger("celery.beat").info("beat: Starting...")
    assert [r.levelname for r in kept.records] == ["ERROR", "INFO"]


def test_with_log_level_debug_the_ticks_are_there_at_debug(kept: Kept) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger("celery.beat").setLevel(logging.NOTSET)
    logging.getLogger("celery.beat").info("Scheduler: Sending due task x (y)")
    assert [(r.levelname, r.getMessage()) for r in kept.records] == [
        ("DEBUG", "Scheduler: Sending due task x (y)")
    ]
