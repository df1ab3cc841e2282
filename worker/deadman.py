"""The dead-man's switch: after a healthy tick, beat's ping task calls a URL outside (a
Healthchecks.io or Cronitor check) at most once a minute. When beat, the broker, the alerts
workers, the database or the whole host is gone, the pings stop, and the monitor outside pages
someone: the one failure the service cannot report itself.

Healthy means beat's dispatcher committed a tick within `BEAT_STALE_AFTER` (so dispatch and
escalation run), seen from the database, by a task that came through the broker to an alerts
worker. The minute is claimed in the database, so two beats ping once. The request runs on a
thread of its own with a short timeout: a slow or failing monitor never holds up a tick, and a
failure is logged with the error's kind only (the URL is a credential of sorts: never logged).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

import requests
import structlog
from sqlalchemy import select

from schema.clock import claim_time
from schema.db import session_scope
from schema.heartbeats import BEAT_STALE_AFTER, claim_interval
from schema.models import Heartbeat
from schema.settings import Settings

log = structlog.get_logger(__name__)

PING_EVERY = timedelta(minutes=1)
PINGED = "deadman_ping"  # the heartbeat row that holds the last ping's minute
BEAT = "beat"

_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deadman")


def ping_if_healthy(settings: Settings) -> Future[bool] | None:
    """Start a ping if one is configured, beat is healthy and none went this minute. Returns
    the ping under way (true when the monitor answered 2xx), or None when none was sent."""
    if not settings.deadman_ping_url:
        return None
    with session_scope() as session:
        now = claim_time(session)  # the clock beat's heartbeat was written with
        beat = session.scalar(select(Heartbeat.at).where(Heartbeat.name == BEAT))
        if beat is None or now - beat > BEAT_STALE_AFTER:
            log.warning("deadman_not_pinged", reason="beat_stale")
            return None
        if not claim_interval(session, PINGED, now, PING_EVERY - timedelta(seconds=1)):
            return None
    return _sender.submit(_ping, settings.deadman_ping_url, settings.deadman_timeout_seconds)


def _ping(url: str, timeout: float) -> bool:
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as error:
        log.warning("deadman_ping_failed", error=type(error).__name__)
        return False
    if not response.ok:
        log.warning("deadman_ping_refused", status=response.status_code)
        return False
    return True
