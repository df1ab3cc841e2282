"""Two of every process on one database: claims that hold when two tasks, two dispatchers or
two hosts with different clocks meet (issue 15, item 7). Real PostgreSQL, real Redis."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import event, func, select, text, update

from schema.db import session_factory, session_scope
from schema.models import MessageState, OutboundMessage, Queue
from schema.settings import get_settings
from schema.types import utcnow
from tests.pipeline.conftest import Service, count_messages, wait_until
from tests.pipeline.test_outbound import the_sms
from worker import dispatch, sending
from worker.sending import Outcome

pytestmark = pytest.mark.timeout(60)


def test_a_batch_does_not_send_a_message_the_stuck_sweep_gave_to_another_task(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [the_sms(patient).id for patient in service.enrol(3)]
    real_deliver = sending._deliver
    second_task: list[Outcome] = []
    swept: list[bool] = []
    elapsed = [0.0]
    monkeypatch.setattr(sending, "monotonic", lambda: elapsed[0])

    def first_send_is_slow(prepared: Any, **options: Any) -> Outcome:
        if not swept:
            swept.append(True)
            elapsed[0] += 600
            # While the provider takes its time over the first message, the rest of the batch
            # waits long enough for the stuck sweep, which hands it to a second task.
            with session_scope() as session:
                session.execute(
                    update(OutboundMessage)
                    .where(OutboundMessage.id.in_(ids[1:]))
                    .values(state_changed_at=utcnow() - timedelta(minutes=10))
                )
            with session_scope() as session:
                rescued = dispatch.find_stuck(
                    session,
                    now=utcnow(),
                    stuck_after=dispatch.stuck_timeouts(get_settings()),
                    limit=10,
                )
            assert sorted(c.message_id for c in rescued) == ids[1:]
            second_task.extend(sending.send_messages(ids[1:]))
        return real_deliver(prepared, **options)

    monkeypatch.setattr(sending, "_deliver", first_send_is_slow)
    first_task = sending.send_messages(ids)

    assert second_task == [Outcome.SENT, Outcome.SENT]
    assert first_task == [Outcome.SENT, Outcome.SKIPPED, Outcome.SKIPPED]
    assert len(service.twilio.messages) == 3
    assert len({m.to for m in service.twilio.messages}) == 3


def test_a_fresh_claim_sends_without_renewing_it_so_an_alert_costs_two_transactions(
    service: Service,
) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(" ".join(str(args[2]).split()))

    engine = session_factory().kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert sending.send_message(message_id) == Outcome.SENT
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    updates = [s for s in statements if s.startswith("UPDATE outbound_messages")]
    assert not any("greatest" in s and "SET state_changed_at" in s for s in updates), updates
    assert not any(s.startswith("SELECT now()") for s in statements), statements
    assert len(statements) <= 6, statements


def test_renewing_a_claim_restarts_its_stuck_clock(service: Service) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    with session_scope() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(state=MessageState.SENDING, attempts=1, state_changed_at=utcnow())
        )
    with session_scope() as session:
        assert not sending.still_ours(session, message_id, 2, now=utcnow())
        assert sending.still_ours(session, message_id, 1, now=utcnow() + timedelta(seconds=30))
    with session_scope() as session:
        message = session.get(OutboundMessage, message_id)
        assert message is not None
        assert message.state_changed_at > utcnow() + timedelta(seconds=20)


def test_a_worker_whose_clock_is_behind_still_sends_an_urgent_message_at_once(
    service: Service,
) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id  # due now, by this host's clock
    with time_machine.travel(utcnow() - timedelta(seconds=3), tick=True):
        assert sending.send_message(message_id) == Outcome.SENT


def test_a_dispatcher_whose_clock_is_behind_still_claims_what_is_due(service: Service) -> None:
    service.enrol(2)
    with time_machine.travel(utcnow() - timedelta(seconds=3), tick=True):
        assert service.dispatch() == 2


def test_a_host_whose_clock_is_ahead_does_not_rescue_a_message_still_being_sent(
    service: Service,
) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    with session_scope() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(state=MessageState.SENDING, state_changed_at=utcnow())
        )
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=True):
        assert service.redispatch() == 0
    assert count_messages(state=MessageState.SENDING) == 1


def _waiting_for_an_advisory_lock() -> int:
    with session_scope() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(text("wait_event_type = 'Lock' AND wait_event = 'advisory'"))
            )
            or 0
        )


def test_two_dispatchers_at_once_never_claim_more_than_the_window(service: Service) -> None:
    service.enrol(20)
    window = 10
    first = session_factory()()
    try:
        mine = dispatch.claim_due(
            first, now=utcnow(), queue=Queue.MESSAGES, limit=window, max_in_flight=window
        )
        theirs: list[int] = []

        def second_dispatcher() -> None:
            with session_scope() as session:
                claimed = dispatch.claim_due(
                    session, now=utcnow(), queue=Queue.MESSAGES, limit=window, max_in_flight=window
                )
                theirs.extend(c.message_id for c in claimed)

        racer = threading.Thread(target=second_dispatcher)
        racer.start()
        wait_until(lambda: _waiting_for_an_advisory_lock() == 1, timeout=10)
        first.commit()  # the first dispatcher's claims are counted before the second counts
        racer.join(timeout=10)
        assert not racer.is_alive()
    finally:
        first.close()
    assert len(mine) == window
    assert theirs == []
    assert count_messages(state=MessageState.QUEUED) == window
