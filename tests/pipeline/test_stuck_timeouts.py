"""Stuck timeouts by queue and state: an alert a worker took and never finished is rescued
within seconds; an alert still waiting in the broker, and every bulk message, keep the longer
timeout (a second copy of a queued task only lengthens a queue under load)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from pathway.outbound import create_message
from schema.models import Channel, MessageState, Queue, Trust
from schema.settings import get_settings
from schema.types import utcnow
from schema.vocabulary import MessageKind
from worker.dispatch import find_stuck, stuck_timeouts


def in_flight(
    session: Session, trust: Trust, queue: Queue, state: MessageState, since: timedelta
) -> int:
    message, _ = create_message(
        session,
        idempotency_key=f"test:{queue}:{state}:{since.total_seconds()}",
        kind=MessageKind.ALERT,
        trust_id=trust.id,
        channel=Channel.SMS,
        template_key="coordinator_alert",
        to_address="+447700900101",
        due_at=utcnow() - since,
        queue=queue,
        now=utcnow(),
    )
    message.state = state
    message.state_changed_at = utcnow() - since
    session.flush()
    return int(message.id)


def test_the_default_timeouts_are_12_s_for_an_alert_being_sent_and_2_minutes_otherwise() -> None:
    timeouts = stuck_timeouts(get_settings())
    assert timeouts[(Queue.ALERTS, MessageState.SENDING)] == timedelta(seconds=12)
    for key in [
        (Queue.ALERTS, MessageState.QUEUED),
        (Queue.MESSAGES, MessageState.SENDING),
        (Queue.MESSAGES, MessageState.QUEUED),
    ]:
        assert timeouts[key] == timedelta(seconds=120)


def test_an_alert_sending_for_13_s_is_stuck_while_queued_alerts_and_bulk_wait_2_minutes(
    session: Session, trust: Trust
) -> None:
    sending, queued = MessageState.SENDING, MessageState.QUEUED
    lost_alert = in_flight(session, trust, Queue.ALERTS, sending, timedelta(seconds=13))
    busy_alert = in_flight(session, trust, Queue.ALERTS, sending, timedelta(seconds=5))
    waiting_alert = in_flight(session, trust, Queue.ALERTS, queued, timedelta(seconds=13))
    bulk = in_flight(session, trust, Queue.MESSAGES, sending, timedelta(seconds=13))
    old_alert = in_flight(session, trust, Queue.ALERTS, queued, timedelta(seconds=121))
    old_bulk = in_flight(session, trust, Queue.MESSAGES, queued, timedelta(seconds=121))
    session.commit()
    timeouts = stuck_timeouts(get_settings())
    found = find_stuck(session, now=utcnow(), stuck_after=timeouts, limit=100)
    rescued = {claimed.message_id for claimed in found}
    assert rescued == {lost_alert, old_alert, old_bulk}
    assert not rescued & {busy_alert, waiting_alert, bulk}
    again = find_stuck(session, now=utcnow(), stuck_after=timeouts, limit=100)
    assert again == []  # each is rescued once per timeout
