"""The Celery application: broker, queues, routes and the beat schedule.

Two queues, consumed by separate workers: `alerts` (red flags, replies, escalation, the
dispatcher) and `messages` (bulk scheduled sends). Nothing urgent ever waits behind bulk work.
Long-range schedules live in the database; beat only runs short periodic sweeps.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import structlog
from celery import Celery
from celery.signals import setup_logging, worker_init, worker_process_init
from kombu import Queue as KombuQueue

from schema.models import Queue
from schema.settings import Settings, get_settings

DISPATCH_EVERY_SECONDS = 1.0
REDISPATCH_EVERY_SECONDS = 3.0  # alerts are stuck after 12 s: rescued within about 15 s
ESCALATE_EVERY_SECONDS = 5.0
SWEEP_INBOUND_EVERY_SECONDS = 5.0
# A worker that only sends bulk messages runs at this niceness, so that on a shared machine the
# alerts worker gets the CPU first: separate queues alone do not stop bulk work starving it.
BULK_WORKER_NICENESS = 10

log = structlog.get_logger(__name__)

ROUTES = {
    "worker.tasks.send_message": {"queue": Queue.MESSAGES.value},
    "worker.tasks.send_messages": {"queue": Queue.MESSAGES.value},
    "worker.tasks.dispatch_due": {"queue": Queue.ALERTS.value},
    "worker.tasks.redispatch_stuck": {"queue": Queue.ALERTS.value},
    "worker.tasks.handle_inbound": {"queue": Queue.ALERTS.value},
    "worker.tasks.escalate_alerts": {"queue": Queue.ALERTS.value},
    "worker.tasks.sweep_inbound": {"queue": Queue.ALERTS.value},
}


def filesystem_transport_options(data_dir: Path) -> dict[str, Any]:
    """The embedded broker: messages as files in the data folder, polled every 0.1 s."""
    folder = data_dir.resolve() / "broker"
    queue_folder, control_folder = folder / "queue", folder / "control"
    for path in (queue_folder, control_folder):
        path.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue_folder),
        "data_folder_out": str(queue_folder),
        "control_folder": str(control_folder),
        "store_processed": False,
        "polling_interval": 0.1,
    }


def celery_config(settings: Settings) -> dict[str, Any]:
    transport_options: dict[str, Any] = {}
    transport = None
    if settings.broker_is_filesystem:
        transport_options = filesystem_transport_options(settings.data_dir)
        transport = "worker.broker:AtomicFilesystemTransport"
    elif settings.broker_key_prefix:
        transport_options = {"global_keyprefix": settings.broker_key_prefix}
    return {
        "broker_url": settings.resolved_broker_url,
        "broker_transport": transport,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "result_backend": None,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": [KombuQueue(q.value, routing_key=q.value) for q in Queue],
        "task_default_queue": Queue.MESSAGES.value,
        "task_routes": ROUTES,
        "task_create_missing_queues": False,
        "timezone": "UTC",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "beat_schedule": {
            "dispatch-due-messages": {
                "task": "worker.tasks.dispatch_due",
                "schedule": DISPATCH_EVERY_SECONDS,
                "options": {"expires": 10},
            },
            "escalate-alerts": {
                "task": "worker.tasks.escalate_alerts",
                "schedule": ESCALATE_EVERY_SECONDS,
                "options": {"expires": 30},
            },
            "sweep-unhandled-replies": {
                "task": "worker.tasks.sweep_inbound",
                "schedule": SWEEP_INBOUND_EVERY_SECONDS,
                "options": {"expires": 30},
            },
            "redispatch-stuck-messages": {
                "task": "worker.tasks.redispatch_stuck",
                "schedule": REDISPATCH_EVERY_SECONDS,
                "options": {"expires": 30},
            },
        },
    }


def make_celery(settings: Settings | None = None) -> Celery:
    app = Celery("safetynet", include=["worker.tasks"])
    app.conf.update(celery_config(settings or get_settings()))
    return app


celery_app = make_celery()


def reconfigure(settings: Settings) -> None:
    """Point the app at new settings (tests, `safetynet serve`), dropping pooled connections."""
    from kombu import pools

    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    pools.reset()
    celery_app.conf.update(celery_config(settings))


@worker_init.connect
def _before_the_pool_forks(sender: Any, **_: Any) -> None:
    consuming = set(sender.app.amqp.queues.consume_from or ())
    if consuming == {Queue.MESSAGES.value}:
        os.nice(BULK_WORKER_NICENESS)
    if Queue.ALERTS.value in consuming:
        load_triage_lexicons()


def load_triage_lexicons() -> None:
    """Load the lexicon of every trust's languages now, in the parent, so the forked children
    share it: otherwise each child spends its first red reply (0.3-0.5 s) loading one."""
    from sqlalchemy import select

    from messages.triage import triage
    from schema.db import dispose_engines, session_scope
    from schema.models import Trust
    from schema.trusts import trust_config

    languages: set[tuple[str, ...]] = set()
    try:
        with session_scope() as session:
            for trust in session.scalars(select(Trust)):
                languages.add(tuple(trust_config(trust).languages))
    except Exception as error:  # no database yet: the children load them on first use
        log.warning("triage_preload_skipped", error=type(error).__name__)
    finally:
        dispose_engines()
    for codes in sorted(languages):
        triage("warming up", languages=codes)


@worker_process_init.connect
def _fresh_connections_after_fork(**_: Any) -> None:
    # A forked child never shares the parent's pooled connections, and its commits need not wait
    # for the disk (see schema.db.commit_without_waiting_for_disk for why that loses nothing).
    from schema.db import commit_without_waiting_for_disk

    commit_without_waiting_for_disk()


@setup_logging.connect
def _structured_logs(**_: Any) -> None:
    from worker.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
