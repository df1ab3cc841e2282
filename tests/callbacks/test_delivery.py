"""Delivering callbacks to the fake receiver over HTTP: accepted once, forgeries refused, and a
receiver that is down for an hour loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from messages.callbacks import EventType, build_callback, next_attempt_at
from tests.fakes.callback_receiver import CallbackReceiver
from worker.providers.callbacks import deliver

SECRET = b"k" * 32
CREATED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def a_callback(key: str = "communication-1234-sent"):  # type: ignore[no-untyped-def]
    return build_callback(
        EventType.COMMUNICATION_SENT,
        {"resourceType": "Communication", "status": "completed"},
        idempotency_key=key,
        created=CREATED,
        trust="RXX",
    )


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver([SECRET]) as fake:
        yield fake


def test_a_signed_callback_is_accepted_once_even_when_delivered_twice(
    receiver: CallbackReceiver,
) -> None:
    callback = a_callback()
    assert deliver(callback, receiver.url, [SECRET]).delivered
    assert deliver(callback, receiver.url, [SECRET]).delivered  # a retry after a lost 200
    assert list(receiver.accepted) == ["communication-1234-sent"]
    assert receiver.duplicates == 1
    received = receiver.accepted["communication-1234-sent"]
    assert received.body["resource"]["resourceType"] == "Communication"


def test_a_callback_signed_with_the_wrong_secret_is_refused(receiver: CallbackReceiver) -> None:
    outcome = deliver(a_callback(), receiver.url, [b"w" * 32])
    assert (outcome.delivered, outcome.status) == (False, 401)
    assert receiver.accepted == {} and receiver.forged == 1


def test_a_receiver_answering_503_gives_a_retryable_failure_with_retry_after(
    receiver: CallbackReceiver,
) -> None:
    receiver.down(503, retry_after="120")
    outcome = deliver(a_callback(), receiver.url, [SECRET])
    assert (outcome.delivered, outcome.status, outcome.retry_after) == (False, 503, 120)


def test_a_receiver_that_refuses_connections_is_a_failure_not_an_error(
    receiver: CallbackReceiver,
) -> None:
    receiver.refuse()
    outcome = deliver(a_callback(), receiver.url, [SECRET], timeout=1)
    assert not outcome.delivered and outcome.status is None
    assert outcome.reason.startswith("unreachable")


def test_a_receiver_down_for_an_hour_loses_nothing() -> None:
    """Ten callbacks, a receiver refusing then failing for an hour of simulated time, retried
    on the schedule until each is accepted: all ten arrive, each exactly once."""
    clock = [CREATED.timestamp()]
    with CallbackReceiver([SECRET], clock=lambda: clock[0]) as receiver:
        pending = {f"message-{i}": (a_callback(f"message-{i}"), CREATED, 0) for i in range(10)}
        schedule = {key: CREATED for key in pending}
        back_up_at = CREATED + timedelta(hours=1)
        receiver.down(503)
        now = CREATED
        while pending:
            key = min(schedule, key=schedule.__getitem__)
            now = schedule[key]
            assert now < CREATED + timedelta(hours=24), "gave up on a callback"
            clock[0] = now.timestamp()
            if now >= back_up_at:
                receiver.up()
            elif now >= CREATED + timedelta(minutes=20):
                receiver.refuse()  # a while with the port closed, too
            callback, first, attempts = pending[key]
            outcome = deliver(callback, receiver.url, [SECRET], timeout=1, clock=lambda: clock[0])
            if outcome.delivered:
                del pending[key], schedule[key]
                continue
            attempts += 1
            when = next_attempt_at(first, attempts, now, retry_after=outcome.retry_after)
            assert when is not None
            pending[key], schedule[key] = (callback, first, attempts), when
        assert sorted(receiver.accepted) == sorted(f"message-{i}" for i in range(10))
        assert receiver.duplicates == 0
        assert now - CREATED < timedelta(hours=2)  # caught up within an hour of coming back
