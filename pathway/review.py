"""Replies that need a person, each with a deadline: an `unclear` reply, an unknown sender's, or
one the service failed to handle goes on its trust's review list, due by a time from the trust's
configuration (`review:`): an urgent one within minutes, a routine one by a set local time on
the next working day. Beat (`remind_due`) tells the review steps' people when it is due and then,
while it stays unread, each later step once (the last step repeats); the database holds where
each review stands, so a restart repeats nothing. A coordinator marks one reviewed, with what
they decided."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.contacts import patients_with_number
from pathway.on_duty import on_duty_staff
from pathway.outbound import message_staff_now
from schema.models import Channel, InboundMessage, Queue, StaffMember, Trust, TrustNumber
from schema.trust_config import EscalationStep, ReviewDeadlines, TrustConfig, role_of
from schema.trusts import trust_config
from schema.vocabulary import MessageKind, Review, ReviewDecision, ReviewState, SenderKind

log = structlog.get_logger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REMINDER_TEMPLATE = "review_due"
BATCH = 200
SENDER_WORDS = {SenderKind.UNKNOWN.value: "an unknown number", SenderKind.CARER.value: "a carer"}


def due_at(priority: Review, received_at: datetime, config: TrustConfig) -> datetime:
    """When a reply received at `received_at` must have been read. Routine: `routine_by` local
    time on the next working day after the day it came (zoneinfo: right across a clock change)."""
    deadlines = config.review
    if priority == Review.URGENT:
        return received_at + timedelta(minutes=deadlines.urgent_within_minutes)
    zone = config.zone
    day = _next_working_day(received_at.astimezone(zone).date(), deadlines)
    return datetime.combine(day, deadlines.routine_by, tzinfo=zone).astimezone(UTC)


def _next_working_day(after: date, deadlines: ReviewDeadlines) -> date:
    day = after + timedelta(days=1)
    while WEEKDAYS[day.weekday()] not in deadlines.working_days:
        day += timedelta(days=1)
    return day


def open_review(
    session: Session,
    inbound: InboundMessage,
    priority: Review,
    config: TrustConfig,
    *,
    now: datetime,
) -> None:
    """Put the reply on its trust's review list with its deadline (once: reopening nothing)."""
    if inbound.review_state == ReviewState.OPEN:
        return
    deadline = due_at(priority, inbound.received_at or now, config)
    inbound.review_state = ReviewState.OPEN
    inbound.review_priority = priority
    inbound.review_due_at = deadline
    inbound.review_step = 0
    inbound.review_next_at = deadline
    audit.record(
        session,
        "inbound.review_opened",
        "inbound_message",
        inbound.id,
        actor=audit.SYSTEM,
        trust_id=inbound.trust_id,
        now=now,
        priority=priority,
        due_at=deadline.isoformat(),
    )


def needs_a_person(session: Session, inbound_id: int, *, why: str, now: datetime) -> None:
    """A reply the service failed to handle goes on its trust's review list, urgently (it may
    be a red flag), so that nothing is silently dropped while the error is looked into."""
    inbound = session.get(InboundMessage, inbound_id, with_for_update=True)
    if (
        inbound is None
        or inbound.handled_at is not None
        or inbound.review_state == ReviewState.OPEN
    ):
        return
    inbound.trust_id = inbound.trust_id or session.scalar(
        select(TrustNumber.trust_id).where(TrustNumber.number_e164 == inbound.to_address)
    )
    if inbound.trust_id is not None and inbound.patient_id is None:
        patients = patients_with_number(session, inbound.trust_id, inbound.from_address)
        inbound.patient_id = patients[0].id if patients else None
    inbound.evidence = {**inbound.evidence, "handling_failed": why}
    audit.record(
        session,
        "inbound.handling_failed",
        "inbound_message",
        inbound.id,
        actor=audit.SYSTEM,
        trust_id=inbound.trust_id,
        now=now,
        error=why,
    )
    log.error("inbound_handling_failed", inbound_id=inbound.id, error=why)
    trust = session.get(Trust, inbound.trust_id) if inbound.trust_id is not None else None
    if trust is not None:
        open_review(session, inbound, Review.URGENT, trust_config(trust), now=now)
    else:  # no trust to read it: still listed, due at once, for the logs and `status`
        inbound.review_state = ReviewState.OPEN
        inbound.review_priority = Review.URGENT
        inbound.review_due_at = inbound.review_next_at = now


def mark_reviewed(
    session: Session,
    inbound: InboundMessage,
    *,
    staff_id: int,
    actor: str,
    note: str,
    now: datetime,
    decision: ReviewDecision = ReviewDecision.NO_ACTION,
) -> bool:
    """Close an open review with the reviewer, their decision and note. False if not open."""
    if inbound.review_state != ReviewState.OPEN:
        return False
    inbound.review_state = ReviewState.CLOSED
    inbound.reviewed_by_id = staff_id
    inbound.reviewed_at = now
    inbound.review_note = note or None
    inbound.review_decision = decision
    inbound.review_next_at = None
    audit.record(
        session,
        "inbound.reviewed",
        "inbound_message",
        inbound.id,
        actor=actor,
        trust_id=inbound.trust_id,
        now=now,
        with_note=bool(note),
        decision=decision,
        late=inbound.review_due_at is not None and now > inbound.review_due_at,
    )
    return True


def remind_due(session: Session, now: datetime) -> int:
    """Beat: for each open review whose next reminder is due, tell its current step's people
    (step 1 when it falls due, each later step once while it is overdue; the last repeats) and
    set the next. A step that reaches nobody moves on at once. Returns the messages made."""
    due = session.scalars(
        select(InboundMessage)
        .where(
            InboundMessage.review_state == ReviewState.OPEN,
            InboundMessage.review_next_at <= now,
            InboundMessage.trust_id.is_not(None),
        )
        .order_by(InboundMessage.review_next_at, InboundMessage.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    made = 0
    configs: dict[int, TrustConfig] = {}
    for inbound in due:
        assert inbound.trust_id is not None
        if inbound.trust_id not in configs:
            trust = session.get(Trust, inbound.trust_id)
            assert trust is not None
            configs[inbound.trust_id] = trust_config(trust)
        made += _remind(session, inbound, configs[inbound.trust_id], now)
    return made


def _remind(session: Session, inbound: InboundMessage, config: TrustConfig, now: datetime) -> int:
    steps = config.review_steps()
    for _ in range(len(steps)):
        index = min(inbound.review_step, len(steps) - 1)
        step = steps[index]
        members = _recipients(session, inbound.trust_id or 0, config, step, now)
        made = sum(_tell(session, inbound, member, config, now) for member in members)
        overdue = inbound.review_step > 0
        audit.record(
            session,
            "review.escalated" if overdue else "review.reminded",
            "inbound_message",
            inbound.id,
            actor=audit.SYSTEM,
            trust_id=inbound.trust_id,
            now=now,
            step=index + 1,
            staff=[m.id for m in members],
            reached_nobody=made == 0,
        )
        inbound.review_step += 1
        inbound.review_next_at = now + timedelta(minutes=step.minutes)
        if made or index == len(steps) - 1:
            if not made:
                log.critical("review_reached_nobody", inbound_id=inbound.id, step=index + 1)
            return made
    return 0


def _recipients(
    session: Session, trust_id: int, config: TrustConfig, step: EscalationStep, now: datetime
) -> list[StaffMember]:
    found: list[StaffMember] = []
    for recipient in step.notify:
        role = role_of(recipient)
        if role is not None:
            people = on_duty_staff(session, trust_id, config, role, now)
        else:
            people = list(
                session.scalars(
                    select(StaffMember).where(
                        StaffMember.trust_id == trust_id,
                        StaffMember.key == recipient,
                        StaffMember.active.is_(True),
                    )
                )
            )
        found.extend(p for p in people if p not in found)
    return found


def _tell(
    session: Session,
    inbound: InboundMessage,
    member: StaffMember,
    config: TrustConfig,
    now: datetime,
) -> int:
    made = 0
    for channel, address in ((Channel.SMS, member.phone_e164), (Channel.EMAIL, member.email)):
        if not address:
            continue
        _, is_new = message_staff_now(
            session,
            member,
            channel,
            address,
            idempotency_key=f"review:{inbound.id}:n{inbound.review_step}:{member.id}:{channel}",
            kind=MessageKind.REVIEW,
            template_key=REMINDER_TEMPLATE,
            queue=Queue.ALERTS,
            inbound_message_id=inbound.id,
            context={"review": review_facts(inbound, config, now)},
            now=now,
        )
        made += int(is_new)
    return made


def review_facts(inbound: InboundMessage, config: TrustConfig, now: datetime) -> dict[str, Any]:
    """What a reminder says: how urgent, from whom (in kind, never who), by when, how late."""
    due = inbound.review_due_at or now
    local = due.astimezone(config.zone)
    sender = SENDER_WORDS.get(inbound.sender_kind or "", "a patient")
    return {
        "priority": inbound.review_priority or Review.URGENT,
        "sender": sender,
        "due": local.strftime("%H:%M on %a %d %b"),
        "overdue": now > due,
        "step": inbound.review_step + 1,
        "failed": "handling_failed" in (inbound.evidence or {}),
    }
