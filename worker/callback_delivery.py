"""Sending due write-backs to each trust's endpoint: claim a batch (pathway.writeback), sign and
POST each outside any transaction, record each outcome.

Callbacks to one endpoint go in the order they were made. When one fails, the rest of that
endpoint's batch waits for its retry instead of piling more requests on a receiver that is down,
so a receiver that comes back gets them in order. The secret is read from the environment
variable or the file the trust's configuration names, at each batch (a changed secret is picked
up without a restart); several secrets, one a line or separated by commas, all sign (rotation).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import requests
import structlog

from messages.callbacks import MIN_SECRET_BYTES, EventType
from messages.callbacks import Callback as SignedCallback
from pathway import writeback
from pathway.writeback import DueCallback
from schema.db import session_scope
from schema.settings import Settings
from schema.types import utcnow
from worker.providers.callbacks import Delivery, deliver

log = structlog.get_logger(__name__)


def secrets_for(due: DueCallback) -> list[bytes]:
    """The trust's callback secrets, or [] when they cannot be read (an operator must act)."""
    if due.secret_env:
        value = os.environ.get(due.secret_env, "")
    else:
        try:
            value = Path(str(due.secret_file)).read_text(encoding="utf-8")
        except OSError:
            value = ""
    return [part.strip().encode() for part in re.split(r"[\n,]", value) if part.strip()]


def _attempt(
    due: DueCallback,
    *,
    timeout: float,
    clock: Callable[[], float],
    http: requests.Session | None,
) -> Delivery:
    secrets = secrets_for(due)
    if not secrets or any(len(secret) < MIN_SECRET_BYTES for secret in secrets):
        log.error("callback.no_secret", callback_id=due.callback_id, trust_id=due.trust_id)
        return Delivery(False, None, None, f"no callback secret of {MIN_SECRET_BYTES}+ bytes")
    callback = SignedCallback(due.key, EventType(due.event_type), due.body)
    return deliver(callback, due.url, secrets, session=http, timeout=timeout, clock=clock)


def deliver_due(
    settings: Settings,
    *,
    now: Callable[[], datetime] = utcnow,
    clock: Callable[[], float] = time.time,
    http: requests.Session | None = None,
) -> int:
    """One batch. Returns how many were delivered."""
    with session_scope() as session:
        due = writeback.claim_due(
            session,
            now=now(),
            limit=settings.callback_batch_size,
            base_url=settings.public_base_url,
        )
    blocked: dict[str, datetime] = {}
    waiting: dict[str, list[int]] = {}
    delivered = 0
    for item in due:
        if item.url in blocked:
            waiting.setdefault(item.url, []).append(item.callback_id)
            continue
        outcome = _attempt(item, timeout=settings.callback_timeout_seconds, clock=clock, http=http)
        with session_scope() as session:
            retry = writeback.record_delivery(
                session,
                item.callback_id,
                delivered=outcome.delivered,
                status=outcome.status,
                reason=outcome.reason,
                retry_after=outcome.retry_after,
                now=now(),
            )
        if outcome.delivered:
            delivered += 1
        elif retry is not None:
            blocked[item.url] = retry
    if waiting:
        with session_scope() as session:
            for url, ids in waiting.items():
                writeback.wait_behind(session, ids, blocked[url])
    return delivered
