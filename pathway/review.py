"""Replies that need a person: one the service failed to handle goes on its trust's review list,
and a coordinator marks one reviewed. (`pathway.replies` puts an `unclear` reply on the list.)"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.replies import patients_with_number
from schema.models import InboundMessage, TrustNumber
from schema.vocabulary import ReviewState

log = structlog.get_logger(__name__)


def needs_a_person(session: Session, inbound_id: int, *, why: str) -> None:
    """A reply the service failed to handle goes on its trust's review list, so that nothing
    is silently dropped while the error is looked into."""
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
    inbound.review_state = ReviewState.OPEN
    inbound.evidence = {**inbound.evidence, "handling_failed": why}
    audit.record(
        session,
        "inbound.handling_failed",
        "inbound_message",
        inbound.id,
        actor=audit.SYSTEM,
        trust_id=inbound.trust_id,
        error=why,
    )
    log.error("inbound_handling_failed", inbound_id=inbound.id, error=why)


def mark_reviewed(
    session: Session,
    inbound: InboundMessage,
    *,
    staff_id: int,
    actor: str,
    note: str,
    now: datetime,
) -> bool:
    """Close an open review with the reviewer and their note. False if it was not open."""
    if inbound.review_state != ReviewState.OPEN:
        return False
    inbound.review_state = ReviewState.CLOSED
    inbound.reviewed_by_id = staff_id
    inbound.reviewed_at = now
    inbound.review_note = note or None
    audit.record(
        session,
        "inbound.reviewed",
        "inbound_message",
        inbound.id,
        actor=actor,
        trust_id=inbound.trust_id,
        with_note=bool(note),
    )
    return True
