"""Resolving an alert with a structured outcome (pathway.outcomes, acknowledgement.resolve)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import acknowledgement
from pathway.outcomes import OutcomeError, check_resolution
from schema.models import AlertState, AuditEvent, MessageState, OutboundMessage, Trust
from schema.trusts import trust_config
from schema.vocabulary import Label
from tests.pathway.month_scenario import Builder, at


def test_resolving_an_open_alert_acknowledges_it_first_by_the_same_person(
    session: Session, trust: Trust
) -> None:
    b = Builder(session, trust)
    alert = b.alert(0, Label.RED, at(6, 2, 10))
    b.resolve(alert, "ben", at(6, 2, 10, 3), "advised_by_phone", None)
    session.commit()
    ben = b.staff("ben")
    assert alert.state == AlertState.RESOLVED
    assert alert.acknowledged_by_id == alert.resolved_by_id == ben.id
    assert alert.acknowledged_at == alert.resolved_at == at(6, 2, 10, 3)
    assert alert.next_escalation_at is None and alert.reminder_due_at is None
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "alert", AuditEvent.subject_id == alert.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions.index("alert.acknowledged") < actions.index("alert.resolved")
    via = session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "alert.acknowledged")
    ).one()
    assert via["via"] == "resolve"
    # Asha, notified at step 1, hears that Ben took it
    taken = session.scalars(
        select(OutboundMessage.template_key).where(
            OutboundMessage.alert_id == alert.id,
            OutboundMessage.staff_member_id == b.staff("asha").id,
            OutboundMessage.state == MessageState.SCHEDULED,
        )
    ).all()
    assert "alert_taken" in taken


def test_the_first_outcome_stands_and_another_trusts_staff_cannot_resolve(
    session: Session, trust: Trust
) -> None:
    b = Builder(session, trust)
    alert = b.alert(0, Label.AMBER, at(6, 2, 10))
    b.resolve(alert, "asha", at(6, 2, 11), "seen_same_day", None)
    again = check_resolution(b.config, outcome="admitted", reply_at=at(6, 2, 9), now=at(6, 2, 12))
    with time_machine.travel(at(6, 2, 12), tick=False):
        assert not acknowledgement.resolve(session, alert, b.staff("ben"), again, now=at(6, 2, 12))
    assert (alert.outcome, alert.outcome_name) == ("seen_same_day", "Seen the same day")
    stranger = b.staff("ben")
    stranger_trust = stranger.trust_id
    stranger.trust_id = stranger_trust + 1000
    with pytest.raises(PermissionError):
        acknowledgement.resolve(session, alert, stranger, again, now=at(6, 2, 12))
    stranger.trust_id = stranger_trust


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"outcome": "cured"}, "outcome", "choose what happened from the list"),
        ({"outcome": ""}, "outcome", "choose what happened from the list"),
        ({"note": "x" * 4001}, "outcome_note", "at most 4000 characters"),
        ({"mri_at": at(6, 1, 9)}, "mri_at", "before the patient's reply"),
        ({"mri_at": at(6, 2, 10) + timedelta(days=40)}, "mri_at", "more than a month from now"),
        ({"mri_at": at(6, 3, 9).replace(tzinfo=None)}, "mri_at", "needs its time zone"),
    ],
)
def test_a_resolution_that_cannot_be_recorded_names_its_field(
    trust: Trust, change: dict[str, object], field: str, message: str
) -> None:
    given: dict[str, object] = {"outcome": "admitted", "note": "", "mri_at": None, **change}
    with pytest.raises(OutcomeError) as refused:
        check_resolution(
            trust_config(trust),
            outcome=str(given["outcome"]),
            note=str(given["note"]),
            mri_at=given["mri_at"],  # type: ignore[arg-type]
            reply_at=at(6, 2, 9),
            now=at(6, 2, 10),
        )
    assert refused.value.field == field and refused.value.message.endswith(message)


def test_a_note_is_optional_and_trimmed_and_the_outcome_keeps_its_words(trust: Trust) -> None:
    config = trust_config(trust)
    kept = check_resolution(
        config, outcome=" mri_arranged ", note="  booked  ", reply_at=at(6, 2, 9), now=at(6, 2, 10)
    )
    assert (kept.outcome, kept.outcome_name, kept.note) == (
        "mri_arranged",
        "MRI arranged",
        "booked",
    )
    bare = check_resolution(config, outcome="admitted", reply_at=at(6, 2, 9), now=at(6, 2, 10))
    assert bare.note is None and bare.mri_at is None
