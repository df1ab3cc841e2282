"""The service's metrics in Prometheus's text format, computed from the database and the broker
when they are scraped.

Every figure is read at scrape time by one collector (`SafetyNetCollector`) from what every
process shares, so the Celery workers need no registry of their own and no multiprocess setup:
whichever web process is scraped reports the whole service. No label carries an identifier:
levels, queues, channels, providers, states and components only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema.clock import database_now
from schema.db import session_scope
from schema.models import (
    Alert,
    AlertState,
    Heartbeat,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Queue,
)
from schema.vocabulary import ALERT_LEVELS, ReviewState
from worker.app import get_app
from worker.health import queue_depth
from worker.tasks import BEAT_HEARTBEAT

log = structlog.get_logger(__name__)

NEVER = float("inf")  # the age of something that never happened: any threshold alerts on it


class SafetyNetCollector(Collector):
    """One scrape: the database's figures in one short transaction, then the broker's."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "safetynet_up", "Whether the scrape could read the component", labels=["component"]
        )
        try:
            with session_scope() as session:
                yield from _database_metrics(session, database_now(session))
            up.add_metric(["database"], 1)
        except Exception as error:  # a scrape reports the outage, it does not fail with it
            log.warning("metrics_database_unreadable", error=type(error).__name__)
            up.add_metric(["database"], 0)
        try:
            yield _queue_depths()
            up.add_metric(["broker"], 1)
        except Exception as error:
            log.warning("metrics_broker_unreadable", error=type(error).__name__)
            up.add_metric(["broker"], 0)
        yield up


def _database_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    yield _alerts_open(session)
    yield GaugeMetricFamily(
        "safetynet_alert_oldest_unacknowledged_seconds",
        "Age of the oldest alert nobody has acknowledged (0 when there is none)",
        value=_age(now, session.scalar(_oldest(Alert.raised_at, Alert.state == AlertState.OPEN))),
    )
    yield GaugeMetricFamily(
        "safetynet_reviews_overdue",
        "Replies on the review list past their review deadline",
        value=_overdue_reviews(session, now),
    )
    oldest_due = session.scalar(
        _oldest(
            OutboundMessage.due_at,
            OutboundMessage.state == MessageState.SCHEDULED,
            OutboundMessage.due_at <= now,
        )
    )
    yield GaugeMetricFamily(
        "safetynet_dispatch_lag_seconds",
        "How long the oldest due message has waited to be dispatched (0 when none waits)",
        value=_age(now, oldest_due),
    )
    beat = session.scalar(select(Heartbeat.at).where(Heartbeat.name == BEAT_HEARTBEAT))
    yield GaugeMetricFamily(
        "safetynet_beat_age_seconds",
        "Seconds since beat last ticked (+Inf if it never has)",
        value=NEVER if beat is None else _age(now, beat),
    )
    yield _messages(session)


def _alerts_open(session: Session) -> Metric:
    open_by_level = (
        select(Alert.level, func.count())
        .where(Alert.state == AlertState.OPEN)
        .group_by(Alert.level)
    )
    counts = {level: count for level, count in session.execute(open_by_level)}
    family = GaugeMetricFamily(
        "safetynet_alerts_open", "Alerts raised and not yet acknowledged", labels=["level"]
    )
    for level in ALERT_LEVELS:
        family.add_metric([level.value], counts.get(level.value, 0))
    return family


def _messages(session: Session) -> Metric:
    # A gauge, though named as the issue asks: a message moves between states, so a series can
    # fall. The sum over states is every message ever stored.
    family = GaugeMetricFamily(
        "safetynet_messages_total",
        "Outbound messages stored, by channel, provider and current state",
        labels=["channel", "provider", "state"],
    )
    rows = session.execute(
        select(
            OutboundMessage.channel,
            OutboundMessage.provider,
            OutboundMessage.state,
            func.count(),
        ).group_by(OutboundMessage.channel, OutboundMessage.provider, OutboundMessage.state)
    )
    for channel, provider, state, count in rows:
        family.add_metric([channel, provider or "none", state], count)
    return family


def _queue_depths() -> Metric:
    family = GaugeMetricFamily(
        "safetynet_queue_depth", "Tasks waiting in the broker, by queue", labels=["queue"]
    )
    with get_app().connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        channel = connection.default_channel
        for queue in Queue:
            family.add_metric([queue.value], queue_depth(channel, queue.value))
    return family


def _oldest(column: Any, *where: Any) -> Any:
    return select(func.min(column)).where(*where)


def _overdue_reviews(session: Session, now: datetime) -> int:
    overdue = select(func.count()).where(
        InboundMessage.review_state == ReviewState.OPEN,
        InboundMessage.review_due_at < now,  # each item's own deadline (pathway/review.py)
    )
    return int(session.scalar(overdue) or 0)


def _age(now: datetime, then: datetime | None) -> float:
    """Seconds from `then` to now; never negative (a host's clock may run ahead of the database)."""
    if then is None:
        return 0.0
    return max(0.0, (now - then).total_seconds())


def registry() -> CollectorRegistry:
    """A registry of our collector alone (none of the default process metrics)."""
    ours = CollectorRegistry(auto_describe=False)
    ours.register(SafetyNetCollector())
    return ours


_REGISTRY: CollectorRegistry | None = None


def render() -> bytes:
    """The text a scrape gets."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = registry()
    return generate_latest(_REGISTRY)
