"""A message the provider accepted is recorded `sent` even if the database drops the connection."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from schema.models import Channel, MessageState
from tests.pipeline.conftest import Service
from tests.pipeline.test_outbound import messages_of
from worker import sending
from worker.sending import Outcome

pytestmark = pytest.mark.timeout(60)


def dropped_connection() -> OperationalError:
    return OperationalError(
        "UPDATE outbound_messages ...", {}, Exception("server closed the connection unexpectedly")
    )


def test_a_sent_message_whose_recording_loses_its_connection_is_recorded_once_sent(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    (patient,) = service.enrol(1)
    (message,) = [m for m in messages_of(patient) if m.channel == Channel.SMS]
    real_record = sending._record_sent
    failures = [dropped_connection(), dropped_connection()]

    def flaky_record(*args: Any) -> None:
        if failures:
            raise failures.pop()
        real_record(*args)

    monkeypatch.setattr(sending, "_record_sent", flaky_record)
    assert sending.send_message(message.id) == Outcome.SENT
    (recorded,) = [m for m in messages_of(patient) if m.channel == Channel.SMS]
    assert recorded.state == MessageState.SENT
    assert recorded.provider_message_id == service.twilio.messages[0].sid
    assert len(service.twilio.messages) == 1


def test_a_database_that_stays_down_still_fails_the_task_for_the_stuck_sweep(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    (patient,) = service.enrol(1)
    (message,) = [m for m in messages_of(patient) if m.channel == Channel.SMS]

    def always_down(*_: Any) -> None:
        raise dropped_connection()

    monkeypatch.setattr(sending, "_record_sent", always_down)
    with pytest.raises(OperationalError):
        sending.send_message(message.id)
    (still,) = [m for m in messages_of(patient) if m.channel == Channel.SMS]
    assert still.state == MessageState.SENDING  # the stuck sweep publishes it again later
