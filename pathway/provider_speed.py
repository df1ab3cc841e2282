"""Which SMS providers are slow to deliver: GOV.UK Notify's own rule. A provider is slow when
at least `threshold` of the texts it was handed in the last `window` took longer than
`slow_after` to be delivered (or have been waiting longer than that for a receipt)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from schema.models import Channel, MessageState, OutboundMessage

WINDOW = timedelta(minutes=15)
SLOW_AFTER = timedelta(minutes=5)
THRESHOLD = 0.15
# Fewer texts than this in the window say nothing either way (one late receipt is not a trend).
MIN_TEXTS = 20


def slow_providers(
    session: Session,
    *,
    now: datetime,
    window: timedelta = WINDOW,
    slow_after: timedelta = SLOW_AFTER,
    threshold: float = THRESHOLD,
    min_texts: int = MIN_TEXTS,
) -> set[str]:
    """The names of the providers that are slow now."""
    late = now - slow_after
    took = _seconds_between(session, OutboundMessage.sent_at, OutboundMessage.delivered_at)
    slow = case(
        (OutboundMessage.delivered_at.is_not(None), took >= slow_after.total_seconds()),
        else_=OutboundMessage.sent_at <= late,
    )
    rows = session.execute(
        select(
            OutboundMessage.provider,
            func.count(),
            func.count(case((slow, 1))),
        )
        .where(
            OutboundMessage.sent_at >= now - window,
            OutboundMessage.channel == Channel.SMS,
            OutboundMessage.provider.is_not(None),
            OutboundMessage.state.in_((MessageState.SENT, MessageState.DELIVERED)),
        )
        .group_by(OutboundMessage.provider)
    ).all()
    return {
        str(provider)
        for provider, total, slow_count in rows
        if total >= min_texts and slow_count / total >= threshold
    }


def _seconds_between(
    session: Session,
    start: InstrumentedAttribute[datetime | None],
    end: InstrumentedAttribute[datetime | None],
) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)
