"""Each queue has its own stuck timeout: an alert lost with its worker is rescued within
seconds, while a bulk message keeps its longer timeout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from schema.models import Channel, MessageState, Queue, Trust
from schema.settings import get_settings
from schema.types import utcnow
from worker.dispatch import find_stuck, stuck_timeouts
from worker.outbound import create_message


def in_flight(session: Session, trust: Trust, queue: Queue, since: timedelta) -> int:
    message, _ = create_message(
        session,
        idempotency_key=f"test:{queue}:{since.total_seconds()}",
        trust_id=trust.id,
        channel=Channel.SMS,
        template_key="coordinator_alert",
        to_address="+447700900101",
        due_at=utcnow() - since,
        queue=queue,
    )
    message.state = MessageState.SENDING
    message.state_changed_at = utcnow() - since
    session.flush()
    return int(message.id)


def test_the_default_timeouts_are_about_ten_seconds_for_alerts_and_two_minutes_for_bulk() -> None:
    timeouts = stuck_timeouts(get_settings())
    assert timeouts[Queue.ALERTS] == timedelta(seconds=12)
    assert timeouts[Queue.MESSAGES] == timedelta(seconds=120)


def test_an_alert_sending_for_13_s_is_stuck_while_a_bulk_message_is_not_until_2_minutes(
    session: Session, trust: Trust
) -> None:
    alert = in_flight(session, trust, Queue.ALERTS, timedelta(seconds=13))
    fresh_alert = in_flight(session, trust, Queue.ALERTS, timedelta(seconds=5))
    bulk = in_flight(session, trust, Queue.MESSAGES, timedelta(seconds=13))
    old_bulk = in_flight(session, trust, Queue.MESSAGES, timedelta(seconds=121))
    session.commit()
    timeouts = stuck_timeouts(get_settings())
    rescued = find_stuck(session, now=utcnow(), stuck_after=timeouts, limit=100)
    assert sorted(c.message_id for c in rescued) == sorted([alert, old_bulk])
    assert fresh_alert not in {c.message_id for c in rescued}
    assert bulk not in {c.message_id for c in rescued}
    again = find_stuck(session, now=utcnow(), stuck_after=timeouts, limit=100)
    assert again == []  # each is rescued once per timeout
