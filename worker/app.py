"""The Celery application: broker, queues and the beat schedule, made when first asked for.

Two queues, consumed by separate workers: `alerts` (red flags, replies, escalation, the
dispatcher) and `messages` (bulk scheduled sends). Nothing urgent ever waits behind bulk work.
Long-range schedules live in the database; beat only runs short periodic sweeps.

Importing this module configures nothing and creates no folder: `get_app()` makes the app from
the settings the first time it is called (the command line's `-A worker.app:celery_app` asks
for it by name). Each task declares its own queue (worker/tasks.py).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import structlog
from celery import Celery
from celery.signals import setup_logging, worker_init, worker_process_init
from kombu import Queue as KombuQueue
from kombu import pools
from sqlalchemy import select

from messages.rendering import renderer
from messages.reply_language import reply_language
from messages.triage import triage
from schema.db import commit_without_waiting_for_disk, dispose_engines, session_scope
from schema.models import Queue, Trust
from schema.settings import Settings, get_settings
from schema.trusts import trust_config
from worker import redis_transport, tasks
from worker.logs import configure_logging, quiet_library_noise
from worker.sender_warnings import sender_warnings

# A worker that only sends bulk messages runs at this niceness, so that on a shared machine the
# alerts worker gets the CPU first: separate queues alone do not stop bulk work starving it.
BULK_WORKER_NICENESS = 10

log = structlog.get_logger(__name__)


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
    else:
        transport_options = dict(settings.broker_transport_options)
        if settings.broker_key_prefix:
            transport_options["global_keyprefix"] = settings.broker_key_prefix
        scheme = settings.resolved_broker_url.partition("://")[0]
        transport = redis_transport.TRANSPORTS.get(scheme)
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
        "task_create_missing_queues": False,
        "timezone": "UTC",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
        "beat_schedule": tasks.BEAT_SCHEDULE,
    }


def make_celery(settings: Settings) -> Celery:
    app = Celery(tasks.APP_NAME, set_as_current=True)
    app.conf.update(celery_config(settings))
    return app


_app: Celery | None = None


def get_app() -> Celery:
    """The process's app, made from the settings on first use. It is also Celery's default app,
    so the task objects of worker/tasks.py resolve to it in every thread."""
    global _app
    if _app is None:
        quiet_library_noise()  # the web app and the CLI publish through it too
        _app = make_celery(get_settings())
        _app.set_default()
    return _app


def is_made() -> bool:
    return _app is not None


def reconfigure(settings: Settings) -> None:
    """Point the app at new settings (tests, `safetynet serve`), dropping pooled connections."""
    app = get_app()
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
    app.conf.update(celery_config(settings))


def __getattr__(name: str) -> Celery:
    # `celery -A worker.app:celery_app` names the app as an attribute; it is made on that first use.
    if name == "celery_app":
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@worker_init.connect
def _before_the_pool_forks(sender: Any, **_: Any) -> None:
    consuming = set(sender.app.amqp.queues.consume_from or ())
    if consuming == {Queue.MESSAGES.value}:
        os.nice(BULK_WORKER_NICENESS)
    if Queue.ALERTS.value in consuming:
        load_triage_lexicons()
    warm_up_sending()
    warn_about_senders()


def warm_up_sending() -> None:
    """Before the pool forks: compile the templates and import Twilio's REST API (about 0.6 s
    together), which each child would otherwise do on its first send, a red flag's among them."""
    importlib.import_module("twilio.rest.api.v2010.account")
    renderer().compile_all()


def warn_about_senders() -> None:
    """Say at start-up what the sending set-up lacks (worker/sender_warnings.py)."""
    try:
        with session_scope() as session:
            for warning in sender_warnings(session, get_settings()):
                log.warning("sender_warning", detail=warning)
    except Exception as error:  # no database yet: `safetynet status` says it later
        log.warning("sender_warnings_skipped", error=type(error).__name__)
    finally:
        dispose_engines()


def load_triage_lexicons() -> None:
    """Load the lexicon of every trust's languages now, in the parent, so the forked children
    share it: otherwise each child spends its first red reply (0.3-0.5 s) loading one."""
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
        reply_language("warming up", codes)  # the Welsh words it answers in Welsh by (0.25 s)


@worker_process_init.connect
def _fresh_connections_after_fork(**_: Any) -> None:
    # A forked child never shares the parent's pooled connections, and its commits need not wait
    # for the disk (see schema.db.commit_without_waiting_for_disk for why that loses nothing).
    commit_without_waiting_for_disk()


@setup_logging.connect
def _structured_logs(**_: Any) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
