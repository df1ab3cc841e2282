"""Bulk SMS paced to the sender's throughput on a simulated clock; alerts never wait for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage, RedisStorage, Storage
from sqlalchemy import select

from schema.db import session_scope
from schema.models import MessageState, OutboundMessage, Queue
from schema.types import utcnow
from tests.conftest import LOCAL
from tests.pipeline.conftest import REDIS_URL, Service
from tests.pipeline.test_alert_sender import reload_trust, send_all_due, with_alert_sender
from tests.pipeline.test_alerts import ASHA, PATIENT, handle_replies, post_sms
from web.app import create_app
from worker import sending
from worker.pacing import Pacer
from worker.process_state import reset
from worker.sending import Outcome

pytestmark = pytest.mark.timeout(60)

SENDER = "+447700900000"


@pytest.fixture(params=["redis", "memory"])
def storage(request: pytest.FixtureRequest) -> Storage:
    if request.param == "memory":
        return MemoryStorage()
    return RedisStorage(REDIS_URL, key_prefix=f"pacing-test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(0, tick=False) as traveller:
        yield traveller


def paced_pacer(storage: Storage, clock: time_machine.Traveller, max_wait: float) -> Pacer:
    return Pacer(storage, max_wait=max_wait, clock=time.time, sleep=clock.shift)


def test_bulk_never_goes_faster_than_the_senders_rate(
    storage: Storage, clock: time_machine.Traveller
) -> None:
    pacer = paced_pacer(storage, clock, max_wait=2.0)
    start = time.time()
    granted = []
    for _ in range(25):
        assert pacer.wait_for_turn(SENDER, 5) is None
        granted.append(time.time() - start)
    for first in granted:
        assert sum(1 for t in granted if first <= t < first + 1) <= 5
    assert granted[-1] >= 4.0  # 25 at 5 a second: the last in the fifth second
    assert granted[-1] < 5.5  # and no slower than the rate


def test_a_sender_busy_for_longer_than_the_wait_says_for_how_long_and_takes_nothing(
    storage: Storage, clock: time_machine.Traveller
) -> None:
    pacer = paced_pacer(storage, clock, max_wait=0.0)
    assert pacer.wait_for_turn(SENDER, 2) is None
    assert pacer.wait_for_turn(SENDER, 2) is None
    busy = pacer.wait_for_turn(SENDER, 2)
    assert busy is not None and 0 < busy <= 1.0
    clock.shift(busy + 0.01)
    assert pacer.wait_for_turn(SENDER, 2) is None


def test_alerts_are_counted_but_never_wait(storage: Storage, clock: time_machine.Traveller) -> None:
    slept: list[float] = []
    pacer = Pacer(storage, max_wait=0.0, sleep=slept.append)
    for _ in range(10):
        pacer.count_urgent(SENDER, 2)  # ten alerts at once, on a sender paced to two a second
    assert slept == []
    assert pacer.wait_for_turn(SENDER, 2) is not None  # bulk leaves them the second


def test_each_sender_has_its_own_pace(storage: Storage, clock: time_machine.Traveller) -> None:
    pacer = paced_pacer(storage, clock, max_wait=0.0)
    assert pacer.wait_for_turn(SENDER, 1) is None
    assert pacer.wait_for_turn(SENDER, 1) is not None
    assert pacer.wait_for_turn("MG" + "0" * 32, 1) is None


def test_a_batch_beyond_the_senders_second_goes_back_to_the_database_due_when_it_has_room(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULK_SMS_PER_SECOND", "2")
    pacer = Pacer(MemoryStorage(), max_wait=0.0)
    monkeypatch.setattr(sending, "pacer", lambda settings: pacer)
    reset()
    service.enrol(5)
    with session_scope() as session:
        ids = list(
            session.scalars(
                select(OutboundMessage.id)
                .where(OutboundMessage.queue == Queue.MESSAGES)
                .order_by(OutboundMessage.id)
            )
        )
    before = utcnow()
    outcomes = sending.send_messages(ids)
    assert outcomes == [Outcome.SENT] * 2 + [Outcome.DEFERRED] * 3
    assert len(service.twilio.messages) == 2
    with session_scope() as session:
        waiting = session.scalars(
            select(OutboundMessage).where(OutboundMessage.id.in_(ids[2:]))
        ).all()
        for message in waiting:
            assert message.state == MessageState.SCHEDULED
            assert message.attempts == 0  # handed back, not tried
            assert before < message.due_at <= before + timedelta(seconds=1.5)


class CountingPacer(Pacer):
    def __init__(self) -> None:
        super().__init__(MemoryStorage(), max_wait=0.0)
        self.urgent: list[str] = []

    def count_urgent(self, sender: str, per_second: int) -> None:
        self.urgent.append(sender)
        super().count_urgent(sender, per_second)


@pytest.mark.parametrize("alerts_apart", [True, False])
def test_alerts_count_against_bulk_only_on_a_sender_they_share_with_it(
    service: Service, monkeypatch: pytest.MonkeyPatch, alerts_apart: bool
) -> None:
    monkeypatch.setenv("BULK_SMS_PER_SECOND", "50")
    reset()
    paced = CountingPacer()
    monkeypatch.setattr(sending, "pacer", lambda settings: paced)
    if alerts_apart:
        reload_trust(with_alert_sender())
    with TestClient(create_app(), base_url=LOCAL) as client:
        service.enrol(1)
        post_sms(client, service, PATIENT, "my legs keep giving way")
    handle_replies()
    send_all_due()
    assert any(m.to == ASHA for m in service.twilio.messages)
    assert paced.urgent == ([] if alerts_apart else [SENDER, SENDER])  # the alert, the advice
