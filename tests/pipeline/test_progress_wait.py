"""The wait the fault tests use on real workers: slow progress passes, no progress fails."""

from __future__ import annotations

import itertools
import time

import pytest

from tests.pipeline.conftest import wait_for_progress


def test_a_count_that_rises_slowly_is_waited_for_past_the_stall_limit() -> None:
    counter = itertools.count()
    started = time.monotonic()

    def slowly() -> float:
        time.sleep(0.05)
        return next(counter) / 4  # reaches 10 after about 2 s, always rising

    assert wait_for_progress(slowly, 10, stall=0.3, every=0) >= 10
    assert time.monotonic() - started > 0.3 * 3


def test_a_count_that_stops_rising_fails_once_it_has_stalled_for_the_limit() -> None:
    values = iter([1, 2, 3])
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="stalled at 3"):
        wait_for_progress(lambda: next(values, 3), 10, stall=0.3, every=0.01)
    assert 0.3 <= time.monotonic() - started < 3


def test_a_count_that_falls_back_does_not_count_as_progress() -> None:
    values = iter([5, 1, 2, 3, 4])
    with pytest.raises(TimeoutError, match="stalled at 5"):
        wait_for_progress(lambda: next(values, 4), 10, stall=0.3, every=0.01)
