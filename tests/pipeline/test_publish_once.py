"""A red reply's urgent messages are published once, and a publish the broker refuses loses no
time: the messages go back to `scheduled` for the dispatcher's next tick. Real PostgreSQL and
Redis."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway.outbound import Claimed
from schema.db import session_scope
from schema.models import InboundMessage, MessageState, OutboundMessage, Queue
from tests.pipeline.conftest import Service
from tests.pipeline.test_alerts import PATIENT, post_sms
from worker import tasks
from worker.app import get_app

pytestmark = pytest.mark.timeout(60)


def states(queue: Queue) -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(OutboundMessage.state)
                .where(OutboundMessage.queue == queue.value)
                .order_by(OutboundMessage.id)
            )
        )


def alerts_waiting(service: Service) -> int:
    client = redis.Redis.from_url(service.broker_url)
    try:
        return int(client.llen(service.env["BROKER_KEY_PREFIX"] + Queue.ALERTS.value))
    finally:
        client.close()


def test_a_red_replys_urgent_messages_are_published_once_not_again_by_the_dispatcher(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    service.dispatch()  # the welcome goes out of the way first
    assert post_sms(client, service, PATIENT, "my legs keep giving way") == 200
    with session_scope() as session:
        inbound_id = session.scalars(select(InboundMessage.id)).one()
    before = alerts_waiting(service)

    published = tasks.handle_inbound(inbound_id)

    assert published >= 3  # the patient's advice, the coordinator's SMS and email
    assert states(Queue.ALERTS) == [MessageState.QUEUED] * published
    waiting = alerts_waiting(service)
    service.dispatch()
    assert alerts_waiting(service) == waiting  # no second task for any of them
    assert waiting - before == published


def test_messages_a_refused_publish_did_not_send_go_back_to_scheduled(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.enrol(2)
    with session_scope() as session:  # both welcomes claimed by a dispatcher: `queued`
        ids = list(session.scalars(select(OutboundMessage.id).order_by(OutboundMessage.id)))
        for message in session.scalars(select(OutboundMessage)):
            message.state = MessageState.QUEUED
    app = get_app()

    def broker_down(*_: Any, **__: Any) -> Any:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(app, "producer_or_acquire", broker_down)
    assert tasks.publish(app, [Claimed(i, Queue.MESSAGES.value) for i in ids]) == 0
    assert states(Queue.MESSAGES) == [MessageState.SCHEDULED] * len(ids)
    monkeypatch.undo()
    assert service.dispatch() == len(ids)  # the next tick takes them at once


def test_the_alerts_dispatcher_claims_no_bulk_and_the_bulk_dispatcher_runs_on_the_bulk_queue(
    service: Service,
) -> None:
    service.enrol(3)  # three welcomes, bulk
    assert tasks.dispatch_due() == 0
    assert states(Queue.MESSAGES) == [MessageState.SCHEDULED] * 3
    assert tasks.dispatch_bulk.queue == Queue.MESSAGES.value
    assert tasks.dispatch_due.queue == Queue.ALERTS.value
    assert tasks.dispatch_bulk() == 3
    assert states(Queue.MESSAGES) == [MessageState.QUEUED] * 3


def test_a_handler_that_dies_after_its_commit_publishes_when_it_is_delivered_again(
    service: Service, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.enrol(1)
    service.dispatch()
    assert post_sms(client, service, PATIENT, "my legs keep giving way") == 200
    with session_scope() as session:
        inbound_id = session.scalars(select(InboundMessage.id)).one()

    class WorkerDied(BaseException):
        pass

    def dies(*_: Any, **__: Any) -> int:
        raise WorkerDied

    monkeypatch.setattr(tasks, "publish", dies)
    with pytest.raises(WorkerDied):
        tasks.handle_inbound(inbound_id)
    queued = states(Queue.ALERTS)
    assert queued and set(queued) == {MessageState.QUEUED}  # committed, never published
    monkeypatch.undo()
    before = alerts_waiting(service)

    assert tasks.handle_inbound(inbound_id) == len(queued)  # the broker's second delivery
    assert alerts_waiting(service) - before == len(queued)
