"""Celery tasks, and the only module that names them. Each task carries ids only, re-reads the
database, and is safe to run twice.

The tasks are defined without an app (`shared_task`) and declare their own queue, so importing
this module configures nothing: they run on the app worker/app.py makes. Code elsewhere calls
them as objects, through `publish` and `enqueue_handling` here, never by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import Celery, Task, shared_task
from sqlalchemy.orm import Session

from pathway import escalation, intake, integration_store, replies, retention, review, rota_gaps
from pathway.outbound import Claimed
from schema.clock import claim_time, database_now
from schema.db import session_scope
from schema.heartbeats import record_heartbeat
from schema.models import Queue
from schema.settings import get_settings
from schema.types import utcnow
from worker import callback_delivery, deadman, dispatch, pds_checks, sending

log = structlog.get_logger(__name__)

BEAT_HEARTBEAT = "beat"
BULK_BATCH = 20

SEND_MESSAGE = "worker.tasks.send_message"
SEND_MESSAGES = "worker.tasks.send_messages"
DISPATCH_DUE = "worker.tasks.dispatch_due"
DISPATCH_BULK = "worker.tasks.dispatch_bulk"
REDISPATCH_STUCK = "worker.tasks.redispatch_stuck"
HANDLE_INBOUND = "worker.tasks.handle_inbound"
ESCALATE_ALERTS = "worker.tasks.escalate_alerts"
REMIND_REVIEWS = "worker.tasks.remind_reviews"
SWEEP_INBOUND = "worker.tasks.sweep_inbound"
CHECK_ROTA_GAPS = "worker.tasks.check_rota_gaps"
CHECK_PDS = "worker.tasks.check_pds"
DELIVER_CALLBACKS = "worker.tasks.deliver_callbacks"
PURGE_INTEGRATION_RAW = "worker.tasks.purge_integration_raw"
PING_DEADMAN = "worker.tasks.ping_deadman"
PURGE_RETENTION = "worker.tasks.purge_retention"

DISPATCH_EVERY_SECONDS = 1.0
REDISPATCH_EVERY_SECONDS = 3.0  # alerts are stuck after 12 s: rescued within about 15 s
ESCALATE_EVERY_SECONDS = 5.0
REMIND_REVIEWS_EVERY_SECONDS = 15.0
SWEEP_INBOUND_EVERY_SECONDS = 5.0
CHECK_ROTA_GAPS_EVERY_SECONDS = 60.0
CHECK_PDS_EVERY_SECONDS = 10.0
DELIVER_CALLBACKS_EVERY_SECONDS = 5.0
PURGE_INTEGRATION_RAW_EVERY_SECONDS = 3600.0
# Twice a minute, so that one lost or late task still leaves a ping in every minute.
PING_DEADMAN_EVERY_SECONDS = 30.0
# Hourly ticks; each trust's purge runs once a night, after 02:00 its local time (the database
# remembers the last run: pathway/retention.py). An interval, not a crontab: crontab has DST bugs.
PURGE_RETENTION_EVERY_SECONDS = 3600.0

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "dispatch-due-messages": {
        "task": DISPATCH_DUE,
        "schedule": DISPATCH_EVERY_SECONDS,
        "options": {"expires": 10},
    },
    # Bulk is claimed on its own queue: claiming a thousand check-ins takes an alerts worker's
    # slot for up to half a second under load, and a red flag must never wait behind bulk work.
    "dispatch-due-bulk": {
        "task": DISPATCH_BULK,
        "schedule": DISPATCH_EVERY_SECONDS,
        "options": {"expires": 10},
    },
    "escalate-alerts": {
        "task": ESCALATE_ALERTS,
        "schedule": ESCALATE_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    "remind-due-reviews": {
        "task": REMIND_REVIEWS,
        "schedule": REMIND_REVIEWS_EVERY_SECONDS,
        "options": {"expires": 60},
    },
    "sweep-unhandled-replies": {
        "task": SWEEP_INBOUND,
        "schedule": SWEEP_INBOUND_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    "redispatch-stuck-messages": {
        "task": REDISPATCH_STUCK,
        "schedule": REDISPATCH_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    "check-rota-gaps": {
        "task": CHECK_ROTA_GAPS,
        "schedule": CHECK_ROTA_GAPS_EVERY_SECONDS,
        "options": {"expires": 120},
    },
    # NHS integration (issue 16): on the messages queue, never in the way of alerts.
    "check-pds": {
        "task": CHECK_PDS,
        "schedule": CHECK_PDS_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    "deliver-callbacks": {
        "task": DELIVER_CALLBACKS,
        "schedule": DELIVER_CALLBACKS_EVERY_SECONDS,
        "options": {"expires": 30},
    },
    # The dead-man's switch (worker/deadman.py): on alerts, as it vouches for them.
    "ping-deadman": {
        "task": PING_DEADMAN,
        "schedule": PING_DEADMAN_EVERY_SECONDS,
        "options": {"expires": 25},
    },
    "purge-integration-raw": {
        "task": PURGE_INTEGRATION_RAW,
        "schedule": PURGE_INTEGRATION_RAW_EVERY_SECONDS,
        "options": {"expires": 600},
    },
    # Patients' data (issue 17): bodies and addresses blanked after each trust's periods.
    "purge-retention": {
        "task": PURGE_RETENTION,
        "schedule": PURGE_RETENTION_EVERY_SECONDS,
        "options": {"expires": 600},
    },
}


@shared_task(name=SEND_MESSAGE, queue=Queue.MESSAGES.value, ignore_result=True)
def send_message(message_id: int) -> str:
    return sending.send_message(message_id).value


@shared_task(name=SEND_MESSAGES, queue=Queue.MESSAGES.value, ignore_result=True)
def send_messages(message_ids: list[int]) -> list[str]:
    """A batch of bulk messages: one claim for all, each recorded as soon as it is sent."""
    return [outcome.value for outcome in sending.send_messages(message_ids)]


@shared_task(name=DISPATCH_DUE, queue=Queue.ALERTS.value, ignore_result=True, bind=True)
def dispatch_due(self: Task) -> int:
    """Beat, every second: claim due alerts and urgent advice and publish them."""
    with session_scope() as session:
        now = claim_time(session)
        claimed = _claim(session, Queue.ALERTS, now)
        record_heartbeat(session, BEAT_HEARTBEAT, now)
    return publish(self.app, claimed)


@shared_task(name=DISPATCH_BULK, queue=Queue.MESSAGES.value, ignore_result=True, bind=True)
def dispatch_bulk(self: Task) -> int:
    """Beat, every second, on the bulk workers: claim due bulk messages and publish them."""
    with session_scope() as session:
        claimed = _claim(session, Queue.MESSAGES, claim_time(session))
    return publish(self.app, claimed)


def _claim(session: Session, queue: Queue, now: datetime) -> list[Claimed]:
    settings = get_settings()
    return dispatch.claim_due(
        session,
        now=now,
        queue=queue,
        limit=settings.dispatch_batch_size,
        max_in_flight=settings.dispatch_max_in_flight,
    )


@shared_task(name=REDISPATCH_STUCK, queue=Queue.ALERTS.value, ignore_result=True, bind=True)
def redispatch_stuck(self: Task) -> int:
    """Beat: publish again messages the broker lost or a dead worker was holding."""
    settings = get_settings()
    with session_scope() as session:
        stuck = dispatch.find_stuck(
            session,
            now=database_now(session),
            stuck_after=dispatch.stuck_timeouts(settings),
            limit=settings.dispatch_batch_size,
        )
    return publish(self.app, stuck)


@shared_task(name=HANDLE_INBOUND, queue=Queue.ALERTS.value, ignore_result=True, bind=True)
def handle_inbound(self: Task, inbound_id: int) -> int:
    """A stored reply: triage it and act. Urgent messages are published straight away.

    If handling fails, the reply is put in front of a person at once (and the sweep retries it).
    """
    try:
        with session_scope() as session:
            now = utcnow()
            # Marked `queued` with the reply, so the dispatcher's next tick does not publish
            # them a second time (a second task that would only find them taken).
            urgent = dispatch.mark_queued(
                session, replies.handle_inbound(session, inbound_id, now), now=now
            )
    except Exception as error:
        with session_scope() as session:
            review.needs_a_person(session, inbound_id, why=type(error).__name__, now=utcnow())
        raise
    return publish(self.app, urgent)


@shared_task(name=ESCALATE_ALERTS, queue=Queue.ALERTS.value, ignore_result=True)
def escalate_alerts() -> int:
    """Beat: move unacknowledged alerts up their chain; remind about unresolved ones."""
    with session_scope() as session:
        return escalation.escalate_due(session, utcnow())


@shared_task(name=REMIND_REVIEWS, queue=Queue.ALERTS.value, ignore_result=True)
def remind_reviews() -> int:
    """Beat: remind the review steps' people of replies due to be read; escalate overdue ones.
    The dispatcher sends what this makes, on the alerts queue."""
    with session_scope() as session:
        return review.remind_due(session, utcnow())


@shared_task(name=SWEEP_INBOUND, queue=Queue.ALERTS.value, ignore_result=True, bind=True)
def sweep_inbound(self: Task) -> int:
    """Beat: hand again to the workers any reply whose handling task was lost."""
    with session_scope() as session:
        lost = intake.unhandled(session, now=utcnow())
    for inbound_id in lost:
        enqueue_handling(self.app, inbound_id)
    return len(lost)


@shared_task(name=CHECK_ROTA_GAPS, queue=Queue.ALERTS.value, ignore_result=True, bind=True)
def check_rota_gaps(self: Task) -> int:
    """Beat, every minute: warn admins of rota gaps ahead (once each) and at once of one open
    now. The gaps warned about are rows in the database, so a restart warns nobody twice."""
    days = get_settings().rota_warn_days
    with session_scope() as session:
        now = utcnow()
        urgent = dispatch.mark_queued(
            session, rota_gaps.warn_about_gaps(session, now=now, days=days), now=now
        )
    return publish(self.app, urgent)


@shared_task(name=CHECK_PDS, queue=Queue.MESSAGES.value, ignore_result=True)
def check_pds() -> int:
    """Beat: a batch of due PDS checks (nothing when PDS is off)."""
    return pds_checks.check_due(get_settings())


@shared_task(name=DELIVER_CALLBACKS, queue=Queue.MESSAGES.value, ignore_result=True)
def deliver_callbacks() -> int:
    """Beat: send due write-backs to the trusts' endpoints."""
    return callback_delivery.deliver_due(get_settings())


@shared_task(name=PURGE_INTEGRATION_RAW, queue=Queue.MESSAGES.value, ignore_result=True)
def purge_integration_raw() -> int:
    """Beat, hourly: clear raw HL7 and FHIR bodies older than the retention period."""
    days = get_settings().integration_raw_retention_days
    with session_scope() as session:
        return integration_store.purge_raw(session, older_than=timedelta(days=days), now=utcnow())


@shared_task(name=PING_DEADMAN, queue=Queue.ALERTS.value, ignore_result=True)
def ping_deadman() -> bool:
    """Beat: ping the dead-man's switch if beat is healthy (at most once a minute; the request
    runs on a thread of its own, so this task returns at once)."""
    return deadman.ping_if_healthy(get_settings()) is not None


@shared_task(name=PURGE_RETENTION, queue=Queue.MESSAGES.value, ignore_result=True)
def purge_retention() -> dict[str, int]:
    """Beat, hourly: each trust's nightly retention purge, when it is its turn."""
    with session_scope() as session:
        blanked = retention.purge_tonight(session, now=utcnow())
    for code, rows in blanked.items():
        log.info("retention_purged", trust=code, rows=rows)
    return blanked


APP_NAME = "safetynet"


class AppNotMade(RuntimeError):
    """A task ran with Celery's fallback app: nothing called `worker.app.get_app()` first, so
    its messages would go to the fallback's broker (amqp://localhost), not ours."""


def _ours(app: Celery) -> Celery:
    if app.main != APP_NAME:
        raise AppNotMade("the Celery app was not made: call worker.app.get_app() first")
    return app


def publish(app: Celery, claimed: Iterable[Claimed]) -> int:
    """Enqueue the send tasks, on each message's own queue. Returns how many messages went.

    Alerts go one task per message, so each can start on whichever worker is free; bulk
    messages go in batches, which spares each message most of a task's and a claim's cost.
    A failure to publish loses nothing: what did not go is put back to `scheduled`, so the
    dispatcher publishes it again within a second of the broker's return (and, should even
    that fail, the message stays `queued` for the stuck sweep).
    """
    _ours(app)
    claimed = list(claimed)
    alerts = [c.message_id for c in claimed if c.queue == Queue.ALERTS]
    bulk = [c.message_id for c in claimed if c.queue != Queue.ALERTS]
    batches = [bulk[i : i + BULK_BATCH] for i in range(0, len(bulk), BULK_BATCH)]
    published: list[int] = []
    try:
        with app.producer_or_acquire() as producer:
            for message_id in alerts:
                send_message.apply_async(
                    args=[message_id], queue=Queue.ALERTS.value, producer=producer
                )
                published.append(message_id)
            for batch in batches:
                send_messages.apply_async(args=[batch], producer=producer)
                published.extend(batch)
    except Exception as error:  # broker down: the database still holds every message
        log.warning(
            "publish_failed",
            published=len(published),
            error=type(error).__name__,
            detail=str(error)[:200],
        )
        went = set(published)
        _release([c.message_id for c in claimed if c.message_id not in went])
    return len(published)


def _release(message_ids: list[int]) -> None:
    try:
        with session_scope() as session:
            dispatch.release(session, message_ids, now=utcnow())
    except Exception as error:  # the database too: the stuck sweep finds them `queued`
        log.warning("release_failed", messages=len(message_ids), error=type(error).__name__)


def enqueue_handling(app: Celery, inbound_id: int) -> bool:
    """Hand a stored reply to the alerts workers. False if the broker would not take it."""
    _ours(app)
    try:
        with app.producer_or_acquire() as producer:
            handle_inbound.apply_async(args=[inbound_id], producer=producer)
    except Exception as error:  # the sweep will find it: handled_at is still empty
        log.warning("inbound_enqueue_failed", inbound_id=inbound_id, error=type(error).__name__)
        return False
    return True
