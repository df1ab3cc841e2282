"""Moving due messages from the database onto the broker, and rescuing any the broker lost.

The database is the queue; the broker holds only a bounded window of work in flight. A claim
marks messages `queued` in one statement (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite takes
its single write lock at BEGIN), commits, and only then publishes their ids. If publishing
fails, or a worker dies holding a message, `redispatch_stuck` publishes it again later; the send
task's own state check makes a second delivery of the same id harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from pathway.outbound import Claimed
from schema.models import MessageState, OutboundMessage, Queue
from schema.settings import Settings

log = structlog.get_logger(__name__)

IN_FLIGHT = (MessageState.QUEUED, MessageState.SENDING)


def in_flight(session: Session, queue: Queue) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.state.in_(IN_FLIGHT), OutboundMessage.queue == queue)
        )
        or 0
    )


# The first key of PostgreSQL's two-key advisory locks: "the dispatch window" (any fixed number
# no other lock of ours uses). The second is the queue's place in `Queue`.
WINDOW_LOCK = 0x5AFE


def lock_the_window(session: Session, queue: Queue) -> None:
    """Hold the queue's in-flight window until this transaction ends, so two dispatchers
    (two beats, two hosts) count it one after the other and never claim the same room twice.
    SQLite needs nothing: its transactions take the single write lock at BEGIN."""
    if session.get_bind().dialect.name != "postgresql":
        return
    slot = list(Queue).index(queue)
    session.execute(select(func.pg_advisory_xact_lock(WINDOW_LOCK, slot)))


def claim_due(
    session: Session, *, now: datetime, queue: Queue, limit: int, max_in_flight: int
) -> list[Claimed]:
    """Mark up to `limit` due messages of one queue `queued`; the caller commits, then publishes.

    The window is counted under its lock (`lock_the_window`), held until that commit."""
    lock_the_window(session, queue)
    room = min(limit, max_in_flight - in_flight(session, queue))
    if room <= 0:
        return []
    due = (
        select(OutboundMessage.id)
        .where(
            OutboundMessage.state == MessageState.SCHEDULED,
            OutboundMessage.due_at <= now,
            OutboundMessage.queue == queue,
        )
        .order_by(OutboundMessage.due_at)
        .limit(room)
    )
    return _mark_queued(session, due, now)


StuckTimeouts = Mapping[tuple[Queue, MessageState], timedelta]


def stuck_timeouts(settings: Settings) -> dict[tuple[Queue, MessageState], timedelta]:
    """How long a message may stay in flight, by queue and state, before it counts as lost.

    An alert a worker took (`sending`) and did not finish within the providers' timeouts went
    with its worker: it is rescued after `alerts_stuck_after_seconds`. An alert still `queued`
    is most likely waiting its turn in the broker, where a second copy would only lengthen the
    queue under load, so it keeps the general timeout, as bulk messages do.
    """
    general = timedelta(seconds=settings.stuck_after_seconds)
    lost_with_worker = timedelta(seconds=settings.alerts_stuck_after_seconds)
    return {
        (Queue.ALERTS, MessageState.SENDING): lost_with_worker,
        (Queue.ALERTS, MessageState.QUEUED): general,
        (Queue.MESSAGES, MessageState.SENDING): general,
        (Queue.MESSAGES, MessageState.QUEUED): general,
    }


def find_stuck(
    session: Session, *, now: datetime, stuck_after: StuckTimeouts, limit: int
) -> list[Claimed]:
    """Messages `queued` or `sending` for too long: the broker lost them or a worker died.

    Each queue and state has its own timeout (`stuck_timeouts`). They go back to `queued` with
    a fresh timestamp so each is rescued once per timeout.
    """
    stale = (
        select(OutboundMessage.id)
        .where(
            OutboundMessage.state.in_(IN_FLIGHT),
            or_(
                *(
                    (OutboundMessage.queue == queue)
                    & (OutboundMessage.state == state)
                    & (OutboundMessage.state_changed_at < now - after)
                    for (queue, state), after in stuck_after.items()
                )
            ),
        )
        .order_by(OutboundMessage.state_changed_at)
        .limit(limit)
    )
    return _mark_queued(session, stale, now)


def mark_queued(session: Session, urgent: list[Claimed], *, now: datetime) -> list[Claimed]:
    """A reply's urgent messages marked `queued` (their stuck clock restarted) before their
    publisher commits, as a claim would: only those no sender has taken are returned."""
    if not urgent:
        return []
    chosen = select(OutboundMessage.id).where(
        OutboundMessage.id.in_([c.message_id for c in urgent]),
        OutboundMessage.state.in_((MessageState.SCHEDULED, MessageState.QUEUED)),
    )
    return _mark_queued(session, chosen, now)


def release(session: Session, message_ids: list[int], *, now: datetime) -> int:
    """Messages claimed but never published, back to `scheduled` (and so due at once)."""
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id.in_(message_ids),
            OutboundMessage.state == MessageState.QUEUED,
        )
        .values(state=MessageState.SCHEDULED, state_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _mark_queued(session: Session, chosen: Select[int], now: datetime) -> list[Claimed]:
    """Mark the chosen messages `queued` in one statement. Rows another claimer holds are
    skipped (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a time)."""
    rows = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(chosen.with_for_update(skip_locked=True).scalar_subquery()))
        .values(state=MessageState.QUEUED, state_changed_at=now)
        .returning(OutboundMessage.id, OutboundMessage.queue)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claimed(message_id, queue_name) for message_id, queue_name in rows]
