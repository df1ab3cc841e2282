"""The dead-man's switch: beat's ping task calls the monitor's URL after a healthy tick, at most
once a minute however many beats there are, never while beat is stale, never waiting on a slow
monitor, and a failure is logged without the URL (issue 15, item 6)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from structlog.testing import capture_logs

from schema.db import session_scope
from schema.heartbeats import record_heartbeat
from schema.models import Heartbeat
from schema.types import utcnow
from tests.fakes.ping_monitor import PingMonitor
from worker import deadman
from worker.process_state import reset

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def monitor(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PingMonitor]:
    with PingMonitor() as fake:
        monkeypatch.setenv("DEADMAN_PING_URL", fake.url)
        monkeypatch.setenv("DEADMAN_TIMEOUT_SECONDS", "0.5")
        yield fake


def beat_ticked(seconds_ago: float) -> None:
    with session_scope() as session:
        record_heartbeat(session, "beat", utcnow() - timedelta(seconds=seconds_ago))


def ping() -> bool | None:
    """One run of the ping task; the ping's own outcome, or None when none was sent."""
    under_way = deadman.ping_if_healthy(reset())
    return None if under_way is None else under_way.result(timeout=10)


def test_a_healthy_tick_pings_the_monitor(monitor: PingMonitor) -> None:
    beat_ticked(1)
    assert ping() is True
    assert monitor.pings == ["/ping/check-uuid"]


def test_two_beats_ping_once_a_minute(monitor: PingMonitor) -> None:
    beat_ticked(1)
    assert ping() is True
    assert ping() is None  # the second beat's task, the same minute
    with session_scope() as session:  # a minute later
        session.execute(
            update(Heartbeat)
            .where(Heartbeat.name == deadman.PINGED)
            .values(at=utcnow() - timedelta(seconds=61))
        )
    assert ping() is True
    assert len(monitor.pings) == 2


def test_a_stale_beat_sends_no_ping_so_the_monitor_pages_someone(monitor: PingMonitor) -> None:
    beat_ticked(45)
    with capture_logs() as logs:
        assert ping() is None
    assert monitor.pings == []
    assert {"event": "deadman_not_pinged", "reason": "beat_stale", "log_level": "warning"} in logs


def test_beat_that_never_ticked_sends_no_ping(monitor: PingMonitor) -> None:
    assert ping() is None
    assert monitor.pings == []


def test_without_a_url_nothing_is_pinged(database_url: str) -> None:
    beat_ticked(1)
    assert deadman.ping_if_healthy(reset()) is None


def test_a_slow_monitor_never_holds_up_the_task(
    monitor: PingMonitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    beat_ticked(1)
    release = threading.Event()
    real_get = deadman.requests.get

    def held(url: str, timeout: float) -> Any:
        release.wait(10)  # the monitor has not answered yet
        return real_get(url, timeout=timeout)

    monkeypatch.setattr(deadman.requests, "get", held)
    under_way = deadman.ping_if_healthy(reset())
    assert under_way is not None
    assert not under_way.done()  # the task returned while the request was still held
    release.set()
    assert under_way.result(timeout=10) is True


def test_a_monitor_slower_than_the_timeout_is_logged_as_failed_without_its_address(
    monitor: PingMonitor,
) -> None:
    beat_ticked(1)
    monitor.delay_seconds = 2.0
    under_way = deadman.ping_if_healthy(reset())
    assert under_way is not None
    with capture_logs() as logs:
        assert under_way.result(timeout=10) is False  # timed out after 0.5 s
    (failure,) = [entry for entry in logs if entry["event"] == "deadman_ping_failed"]
    assert failure["error"] in ("ReadTimeout", "Timeout", "ConnectionError")
    assert monitor.url not in str(logs)


def test_a_monitor_answering_an_error_is_logged_without_its_address(monitor: PingMonitor) -> None:
    beat_ticked(1)
    monitor.status = 500
    with capture_logs() as logs:
        assert ping() is False
    assert {"event": "deadman_ping_refused", "status": 500, "log_level": "warning"} in logs
    assert "127.0.0.1" not in str(logs)
