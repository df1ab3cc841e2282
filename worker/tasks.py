"""Celery tasks. Each carries ids only, re-reads the database, and is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from schema.db import session_scope
from schema.models import Heartbeat, Queue
from schema.settings import get_settings
from schema.types import utcnow
from worker import dispatch, sending
from worker.app import celery_app

BEAT_HEARTBEAT = "beat"


@celery_app.task(name="worker.tasks.send_message", ignore_result=True)
def send_message(message_id: int) -> str:
    return sending.send_message(message_id).value


@celery_app.task(name="worker.tasks.dispatch_due", ignore_result=True)
def dispatch_due() -> int:
    """Beat, every second: claim due messages (alerts first) and publish them."""
    settings = get_settings()
    now = utcnow()
    published = 0
    for queue in (Queue.ALERTS, Queue.MESSAGES):
        with session_scope() as session:
            claimed = dispatch.claim_due(
                session,
                now=now,
                queue=queue,
                limit=settings.dispatch_batch_size,
                max_in_flight=settings.dispatch_max_in_flight,
            )
            if queue == Queue.ALERTS:
                session.merge(Heartbeat(name=BEAT_HEARTBEAT, at=now))
        published += dispatch.publish(claimed)
    return published


@celery_app.task(name="worker.tasks.redispatch_stuck", ignore_result=True)
def redispatch_stuck() -> int:
    """Beat: publish again messages the broker lost or a dead worker was holding."""
    settings = get_settings()
    with session_scope() as session:
        stuck = dispatch.find_stuck(
            session,
            now=utcnow(),
            stuck_after=timedelta(seconds=settings.stuck_after_seconds),
            limit=settings.dispatch_batch_size,
        )
    return dispatch.publish(stuck)
