from datetime import UTC, datetime

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway import patient_status as ops
from schema.models import (
    AuditEvent,
    PatientStatus,
    Trust,
)
from schema.trusts import trust_config
from schema.types import utcnow
from tests.pathway.test_enrolment import enrol_margaret, scheduled


def test_discharge_cancels_planned_messages(session: Session, trust: Trust) -> None:
    patient = enrol_margaret(session, trust)
    ops.discharge(session, patient, now=utcnow(), actor=audit.CLI)
    session.commit()
    assert scheduled(session, patient) == []
    assert patient.status == PatientStatus.DISCHARGED


def test_opting_out_cancels_everything_and_opting_in_plans_again(
    session: Session, trust: Trust
) -> None:
    patient = enrol_margaret(session, trust)
    assert ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="sms")
    session.commit()
    assert scheduled(session, patient) == []
    assert not ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="sms")
    ops.opt_in(session, patient, trust_config(trust), now=utcnow(), actor=audit.CLI, via="sms")
    session.commit()
    assert len(scheduled(session, patient)) > 0
    assert patient.plan_generation == 1


def test_resuming_a_paused_patient_plans_only_the_future(session: Session, trust: Trust) -> None:
    with time_machine.travel(datetime(2026, 6, 1, 10, 0, tzinfo=UTC), tick=False):
        patient = enrol_margaret(session, trust)
        ops.pause(session, patient, now=utcnow(), actor=audit.CLI)
        session.commit()
    with time_machine.travel(datetime(2026, 6, 20, 10, 0, tzinfo=UTC), tick=False):
        ops.resume(session, patient, trust_config(trust), now=utcnow(), actor=audit.CLI)
        session.commit()
        remaining = scheduled(session, patient)
        assert remaining and all(m.due_at >= utcnow() for m in remaining)
        assert all(m.idempotency_key.startswith(f"plan:{patient.id}:g1:") for m in remaining)


def test_a_status_change_is_audited_at_the_now_it_was_made_not_when_the_row_was_written(
    session: Session, trust: Trust
) -> None:
    patient = enrol_margaret(session, trust)
    decided = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 6, 1, 9, 31, tzinfo=UTC), tick=False):
        ops.pause(session, patient, now=decided, actor=audit.CLI)
        session.commit()
    stamped = session.scalars(
        select(AuditEvent.at).where(
            AuditEvent.subject_type == "patient",
            AuditEvent.subject_id == patient.id,
            AuditEvent.action != "patient.enrolled",
        )
    ).all()
    assert stamped == [decided]
