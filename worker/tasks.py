"""Celery tasks. Each carries ids only, re-reads the database, and is safe to run twice."""

from __future__ import annotations

from schema.db import session_scope
from schema.heartbeats import record_heartbeat
from schema.models import Queue
from schema.settings import get_settings
from schema.types import utcnow
from worker import alerting, dispatch, inbound, replies, sending
from worker.app import celery_app

BEAT_HEARTBEAT = "beat"


@celery_app.task(name="worker.tasks.send_message", ignore_result=True)
def send_message(message_id: int) -> str:
    return sending.send_message(message_id).value


@celery_app.task(name="worker.tasks.send_messages", ignore_result=True)
def send_messages(message_ids: list[int]) -> list[str]:
    """A batch of bulk messages: one claim for all, each recorded as soon as it is sent."""
    return [outcome.value for outcome in sending.send_messages(message_ids)]


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
                record_heartbeat(session, BEAT_HEARTBEAT, now)
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
            stuck_after=dispatch.stuck_timeouts(settings),
            limit=settings.dispatch_batch_size,
        )
    return dispatch.publish(stuck)


@celery_app.task(name="worker.tasks.handle_inbound", ignore_result=True)
def handle_inbound(inbound_id: int) -> int:
    """A stored reply: triage it and act. Urgent messages are published straight away.

    If handling fails, the reply is put in front of a person at once (and the sweep retries it).
    """
    try:
        with session_scope() as session:
            urgent = replies.handle_inbound(session, inbound_id, utcnow())
    except Exception as error:
        with session_scope() as session:
            replies.needs_a_person(session, inbound_id, why=type(error).__name__)
        raise
    return dispatch.publish(urgent)


@celery_app.task(name="worker.tasks.escalate_alerts", ignore_result=True)
def escalate_alerts() -> int:
    """Beat: move unacknowledged alerts up their chain; remind about unresolved ones."""
    with session_scope() as session:
        return alerting.escalate_due(session, utcnow())


@celery_app.task(name="worker.tasks.sweep_inbound", ignore_result=True)
def sweep_inbound() -> int:
    """Beat: hand again to the workers any reply whose handling task was lost."""
    with session_scope() as session:
        lost = inbound.unhandled(session, now=utcnow())
    for inbound_id in lost:
        inbound.enqueue_handling(inbound_id)
    return len(lost)
