"""Review deadlines, driven by the database like escalation (issue 12, item 4), on a simulated
clock: an urgent review is due within minutes, a routine one by 10:00 on the next working day
(weekends skipped, right across a clock change); when due the first review step is told, when
overdue each later step once; reviewing records who and what they decided."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import replies, review
from pathway.report import review_deadline_status
from schema.config_file import ConfigError, parse_config_text
from schema.models import AuditEvent, InboundMessage, OutboundMessage, StaffMember, Trust
from schema.trusts import trust_config
from schema.vocabulary import MessageKind, Review, ReviewDecision, ReviewState
from tests.conftest import EXAMPLE_TRUST
from tests.routing.helpers import enrol_patient, store_reply
from worker import health

FRIDAY_BEFORE_CLOCKS_GO_BACK = datetime(2026, 10, 23, 14, 0, tzinfo=UTC)  # 15:00 BST
SATURDAY_BEFORE_CLOCKS_GO_FORWARD = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # 12:00 GMT


def a_review(session: Session, trust: Trust, priority: Review, at: datetime) -> InboundMessage:
    patient = enrol_patient(session, trust)
    inbound_id = store_reply(session, trust.id, patient.phone_e164, "not sure", now=at)
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None
    inbound.trust_id, inbound.patient_id, inbound.handled_at = trust.id, patient.id, at
    review.open_review(session, inbound, priority, trust_config(trust), now=at)
    session.commit()
    return inbound


def reminded(session: Session) -> list[tuple[str, str]]:
    """(staff key, channel) of every review reminder so far, in order."""
    rows = session.execute(
        select(StaffMember.key, OutboundMessage.channel)
        .join(StaffMember, StaffMember.id == OutboundMessage.staff_member_id)
        .where(OutboundMessage.kind == MessageKind.REVIEW)
        .order_by(OutboundMessage.id)
    ).all()
    return [(key, channel) for key, channel in rows]


def tick(session: Session, at: datetime) -> int:
    made = review.remind_due(session, at)
    session.commit()
    return made


def test_a_routine_review_on_a_friday_is_due_at_ten_on_monday_after_the_clocks_go_back(
    session: Session, trust: Trust
) -> None:
    due = review.due_at(Review.ROUTINE, FRIDAY_BEFORE_CLOCKS_GO_BACK, trust_config(trust))
    assert due == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)  # 10:00 GMT


def test_a_routine_review_on_a_saturday_is_due_at_ten_on_monday_after_the_clocks_go_forward(
    session: Session, trust: Trust
) -> None:
    due = review.due_at(Review.ROUTINE, SATURDAY_BEFORE_CLOCKS_GO_FORWARD, trust_config(trust))
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_an_urgent_review_is_due_within_the_trusts_minutes(session: Session, trust: Trust) -> None:
    at = FRIDAY_BEFORE_CLOCKS_GO_BACK
    assert review.due_at(Review.URGENT, at, trust_config(trust)) == at + timedelta(minutes=30)


def test_an_urgent_review_reminds_step_one_when_due_then_escalates_each_step_once(
    session: Session, trust: Trust
) -> None:
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    inbound = a_review(session, trust, Review.URGENT, t0)
    assert inbound.review_due_at == t0 + timedelta(minutes=30)
    assert tick(session, t0 + timedelta(minutes=29)) == 0
    assert tick(session, t0 + timedelta(minutes=30)) > 0
    assert {key for key, _ in reminded(session)} == {"asha"}  # the amber chain's first step
    assert tick(session, t0 + timedelta(minutes=31)) == 0  # once per step
    assert tick(session, t0 + timedelta(minutes=30 + 59)) == 0
    assert tick(session, t0 + timedelta(minutes=30 + 60)) > 0  # overdue: up the chain
    assert [key for key, _ in reminded(session)][-1] == "ben"
    escalated = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "review.escalated")
    ).all()
    assert [e.details["step"] for e in escalated] == [2]


def test_a_routine_review_waits_over_the_weekend_and_across_the_clock_change(
    session: Session, trust: Trust
) -> None:
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    a_review(session, trust, Review.ROUTINE, t0)
    for hours in (1, 18, 30, 48, 66):  # Friday evening, Saturday, Sunday (the change), Monday
        assert tick(session, t0 + timedelta(hours=hours)) == 0
    monday_ten = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    assert tick(session, monday_ten - timedelta(minutes=1)) == 0
    assert tick(session, monday_ten) > 0


def test_a_reviewed_reply_reminds_nobody_and_records_who_and_what_they_decided(
    session: Session, trust: Trust
) -> None:
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    inbound = a_review(session, trust, Review.URGENT, t0)
    asha = session.scalars(select(StaffMember).where(StaffMember.key == "asha")).one()
    review.mark_reviewed(
        session,
        inbound,
        staff_id=asha.id,
        actor=f"staff:{asha.id}",
        note="phoned her: a new mattress",
        now=t0 + timedelta(minutes=10),
        decision=ReviewDecision.CONTACTED,
    )
    session.commit()
    assert tick(session, t0 + timedelta(hours=5)) == 0
    assert inbound.review_state == ReviewState.CLOSED
    assert inbound.reviewed_by_id == asha.id
    assert inbound.review_decision == ReviewDecision.CONTACTED
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "inbound.reviewed")).one()
    assert event.details["decision"] == "contacted" and event.details["late"] is False
    assert review_deadline_status(inbound, t0 + timedelta(hours=5)) == "met"


def test_the_monthly_report_counts_a_review_read_after_its_due_time_as_missed(
    session: Session, trust: Trust
) -> None:
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    inbound = a_review(session, trust, Review.URGENT, t0)
    assert review_deadline_status(inbound, t0 + timedelta(minutes=10)) == "pending"
    asha = session.scalars(select(StaffMember).where(StaffMember.key == "asha")).one()
    review.mark_reviewed(
        session,
        inbound,
        staff_id=asha.id,
        actor=f"staff:{asha.id}",
        note="",
        now=t0 + timedelta(minutes=45),
    )
    assert review_deadline_status(inbound, t0 + timedelta(hours=1)) == "missed"


def test_an_unclear_reply_gets_its_deadline_from_triages_urgency(
    session: Session, trust: Trust
) -> None:
    patient = enrol_patient(session, trust)
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    inbound_id = store_reply(
        session, trust.id, patient.phone_e164, "can you tell me when the clinic opens?", now=t0
    )
    replies.handle_inbound(session, inbound_id, t0)
    session.commit()
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None and inbound.review_state == ReviewState.OPEN
    assert inbound.review_priority in (Review.URGENT, Review.ROUTINE)
    assert inbound.review_due_at == review.due_at(
        Review(inbound.review_priority), t0, trust_config(trust)
    )


def test_a_reply_whose_handling_failed_is_due_urgently(session: Session, trust: Trust) -> None:
    patient = enrol_patient(session, trust)
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    inbound_id = store_reply(session, trust.id, patient.phone_e164, "legs odd", now=t0)
    review.needs_a_person(session, inbound_id, why="RuntimeError", now=t0)
    session.commit()
    inbound = session.get(InboundMessage, inbound_id)
    assert inbound is not None
    assert inbound.review_priority == Review.URGENT
    assert inbound.review_due_at == t0 + timedelta(minutes=30)


def test_safetynet_status_counts_the_reviews_that_are_overdue(
    session: Session, trust: Trust
) -> None:
    t0 = FRIDAY_BEFORE_CLOCKS_GO_BACK
    a_review(session, trust, Review.URGENT, t0)
    assert health.check(now=t0 + timedelta(minutes=29)).backlog == {}  # counts only with queues
    assert (
        health.check(with_queues=True, now=t0 + timedelta(minutes=29)).backlog["overdue_reviews"]
        == 0
    )
    assert (
        health.check(with_queues=True, now=t0 + timedelta(minutes=31)).backlog["overdue_reviews"]
        == 1
    )


def test_a_review_step_naming_unknown_staff_is_refused_with_its_field() -> None:
    text = EXAMPLE_TRUST.read_text().replace(
        "  # steps:                      # who is told",
        "  steps:\n    - notify: [bob]\n      minutes: 30\n  # who is told",
    )
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "trust.yaml")
    (problem,) = [str(p) for p in caught.value.problems]
    assert "review.steps[0].notify[0]: no staff member 'bob'" in problem


def test_the_trusts_review_steps_replace_the_amber_chain() -> None:
    text = EXAMPLE_TRUST.read_text().replace(
        "  # steps:                      # who is told",
        "  steps:\n    - notify: [ben]\n      minutes: 15\n  # who is told",
    )
    config = parse_config_text(text, "trust.yaml")
    assert [(s.notify, s.minutes) for s in config.review_steps()] == [(["ben"], 15)]
