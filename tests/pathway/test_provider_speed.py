"""Notify's slow-delivery rule over our messages: a provider is slow when at least 15% of the
texts it was handed in the last 15 minutes took over 5 minutes to be delivered (or are still
waiting after 5). Run on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from pathway.provider_speed import slow_providers
from schema.models import Channel, MessageState, OutboundMessage, Trust
from schema.types import utcnow
from schema.vocabulary import MessageKind

_keys = itertools.count()


def texts(
    session: Session,
    trust: Trust,
    provider: str,
    count: int,
    *,
    sent: datetime,
    took: timedelta | None,
    channel: str = Channel.SMS,
) -> None:
    for _ in range(count):
        delivered = sent + took if took is not None else None
        session.add(
            OutboundMessage(
                trust_id=trust.id,
                channel=channel,
                kind=MessageKind.PLANNED,
                template_key="welcome",
                to_address="+447700900300",
                due_at=sent,
                state=MessageState.DELIVERED if delivered else MessageState.SENT,
                provider=provider,
                provider_message_id=f"id-{next(_keys)}",
                idempotency_key=f"speed:{next(_keys)}",
                sent_at=sent,
                delivered_at=delivered,
            )
        )
    session.flush()


def test_a_provider_with_15_percent_of_texts_over_5_minutes_is_slow(
    session: Session, trust: Trust
) -> None:
    now = utcnow()
    texts(session, trust, "twilio", 17, sent=now - timedelta(minutes=10), took=timedelta(seconds=5))
    texts(session, trust, "twilio", 3, sent=now - timedelta(minutes=10), took=timedelta(minutes=6))
    texts(session, trust, "notify", 19, sent=now - timedelta(minutes=10), took=timedelta(seconds=5))
    texts(session, trust, "notify", 1, sent=now - timedelta(minutes=10), took=timedelta(minutes=6))
    assert slow_providers(session, now=now) == {"twilio"}  # 3/20 is 15%; 1/20 is not


def test_texts_still_waiting_for_a_receipt_after_5_minutes_count_as_slow(
    session: Session, trust: Trust
) -> None:
    now = utcnow()
    texts(session, trust, "twilio", 16, sent=now - timedelta(minutes=2), took=None)  # not yet
    texts(session, trust, "twilio", 4, sent=now - timedelta(minutes=6), took=None)
    assert slow_providers(session, now=now) == {"twilio"}
    assert slow_providers(session, now=now, threshold=0.25) == set()


def test_texts_older_than_15_minutes_and_emails_do_not_count(
    session: Session, trust: Trust
) -> None:
    now = utcnow()
    texts(session, trust, "twilio", 20, sent=now - timedelta(minutes=16), took=timedelta(minutes=9))
    texts(
        session,
        trust,
        "smtp",
        20,
        sent=now - timedelta(minutes=10),
        took=None,
        channel=Channel.EMAIL,
    )
    texts(session, trust, "twilio", 20, sent=now - timedelta(minutes=1), took=timedelta(seconds=3))
    assert slow_providers(session, now=now) == set()


def test_too_few_texts_say_nothing(session: Session, trust: Trust) -> None:
    now = utcnow()
    texts(session, trust, "notify", 5, sent=now - timedelta(minutes=10), took=timedelta(minutes=9))
    assert slow_providers(session, now=now) == set()
    assert slow_providers(session, now=now, min_texts=5) == {"notify"}
