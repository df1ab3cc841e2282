"""PDS in the pathway, against the fake PDS: checked at enrolment and daily, and what each answer
does. The send path is the real one (worker.sending) with the fake Twilio API behind it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from pathway.outbound import create_message
from pathway.patient_notices import decide
from schema.db import session_scope
from schema.models import (
    AuditEvent,
    Channel,
    MessageState,
    NoticeKind,
    OutboundMessage,
    Patient,
    PatientNotice,
    PatientStatus,
    Queue,
    StaffMember,
    Trust,
)
from schema.settings import get_settings
from schema.trusts import trust_config
from schema.types import utcnow
from schema.vocabulary import MessageKind
from testing.fake_twilio import FakeTwilio
from tests.fakes.fake_pds import ENROLLED_MOBILE, OTHER_MOBILE, Case, FakePds
from tests.nhs.conftest import (
    enrol_patient,
    load,
    messages_of,
    patient,
    send_due,
    trust_yaml,
)
from worker import pds_checks

pytestmark = pytest.mark.timeout(60)


def check() -> int:
    return pds_checks.check_due(get_settings())


def notices_of(patient_id: int) -> list[PatientNotice]:
    with session_scope() as session:
        rows = list(
            session.scalars(select(PatientNotice).where(PatientNotice.patient_id == patient_id))
        )
        for row in rows:
            session.expunge(row)
        return rows


def reply_to(patient_id: int, template: str = "help") -> int:
    """A reply's answer to the patient, as `pathway.replies` makes one, due now."""
    with session_scope() as session:
        found = session.get(Patient, patient_id)
        assert found is not None
        message, _ = create_message(
            session,
            idempotency_key=f"reply:test{patient_id}:{template}",
            kind=MessageKind.REPLY,
            trust_id=found.trust_id,
            channel=Channel.SMS,
            template_key=template,
            to_address=found.phone_e164,
            due_at=utcnow(),
            queue=Queue.ALERTS,
            patient_id=found.id,
            now=utcnow(),
        )
        return int(message.id)


@pytest.fixture
def trust(database_url: str, pds_on: FakePds) -> int:
    return load(trust_yaml())


@pytest.mark.parametrize("case", [Case.DECEASED, Case.INFORMAL_DEATH])
def test_a_deceased_patient_is_never_texted_again_after_the_check(
    trust: int, fake_twilio: FakeTwilio, case: str
) -> None:
    patient_id = enrol_patient(case)
    assert send_due() == ["deferred"]  # the welcome waits for the first check
    assert check() == 1
    found = patient(patient_id)
    assert found.deceased_at is not None and found.status == PatientStatus.DISCHARGED
    assert found.pds_next_check_at is None  # no more checks owed
    (welcome,) = messages_of(patient_id)
    assert (welcome.state, welcome.error_message) == (MessageState.CANCELLED, "deceased")
    # Anything else meant for the number is refused by the send path itself.
    reply_to(patient_id)
    assert send_due() == ["suppressed"]
    assert fake_twilio.messages == []
    (notice,) = notices_of(patient_id)
    assert (notice.kind, notice.state, notice.source) == (NoticeKind.DECEASED, "open", "pds")


def test_a_death_notice_that_was_removed_is_not_a_death(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    patient_id = enrol_patient(Case.DEATH_REMOVED)
    check()
    assert patient(patient_id).deceased_at is None
    assert send_due() == ["sent"]
    assert [m.to for m in fake_twilio.messages] == ["+447700900123"]


def test_a_patient_found_alive_is_verified_and_checked_again_a_day_later(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    patient_id = enrol_patient(Case.NORMAL)
    before = utcnow()
    check()
    found = patient(patient_id)
    assert found.nhs_number_verified_at is not None and found.pds_checked_at is not None
    assert found.pds_next_check_at is not None
    assert timedelta(hours=23) < found.pds_next_check_at - before < timedelta(hours=25)
    assert send_due() == ["sent"]
    assert notices_of(patient_id) == []


def test_a_restricted_record_is_marked_and_keeps_the_number_the_trust_entered(
    trust: int, fake_twilio: FakeTwilio, fake_pds: FakePds
) -> None:
    patient_id = enrol_patient(Case.RESTRICTED, phone="07700 900777")
    check()
    found = patient(patient_id)
    assert found.restricted and found.phone_e164 == "+447700900777"
    assert notices_of(patient_id) == []  # PDS sends no telecom for it: nothing to propose
    assert send_due() == ["sent"]
    assert [m.to for m in fake_twilio.messages] == ["+447700900777"]


def test_a_different_mobile_in_pds_asks_a_coordinator_and_changes_nothing_until_confirmed(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    patient_id = enrol_patient(Case.DIFFERENT_MOBILE, phone=ENROLLED_MOBILE)
    check()
    check_again_now(patient_id)
    check()  # the daily check repeats no notice
    (notice,) = notices_of(patient_id)
    assert notice.kind == NoticeKind.MOBILE_DIFFERS
    assert notice.details == {"mobile": "+447700900456"}
    assert patient(patient_id).phone_e164 == "+447700900123"
    assert send_due() == ["sent"]
    assert [m.to for m in fake_twilio.messages] == ["+447700900123"]
    decide_as_coordinator(notice.id, confirm=True)
    assert patient(patient_id).phone_e164 == "+447700900456"
    planned = [m for m in messages_of(patient_id) if m.state == MessageState.SCHEDULED]
    assert all(m.to_address == "+447700900456" for m in planned)


def test_a_dismissed_mobile_keeps_our_number(trust: int) -> None:
    patient_id = enrol_patient(Case.DIFFERENT_MOBILE, phone=ENROLLED_MOBILE)
    check()
    (notice,) = notices_of(patient_id)
    decide_as_coordinator(notice.id, confirm=False)
    assert patient(patient_id).phone_e164 == "+447700900123"
    assert notices_of(patient_id)[0].state == "dismissed"
    assert OTHER_MOBILE not in str(audit_details(patient_id))


def test_a_superseded_number_is_recorded_for_a_coordinator_to_confirm(trust: int) -> None:
    patient_id = enrol_patient(Case.SUPERSEDED)
    check()
    found = patient(patient_id)
    assert found.nhs_number == Case.SUPERSEDED and found.nhs_number_verified_at is None
    assert found.pds_checked_at is not None  # PDS knows the person: alive, checked
    (notice,) = notices_of(patient_id)
    assert notice.kind == NoticeKind.NHS_NUMBER_SUPERSEDED
    decide_as_coordinator(notice.id, confirm=True)
    renumbered = patient(patient_id)
    assert renumbered.nhs_number == Case.SUPERSEDED_BY
    assert renumbered.pds_next_check_at is not None and renumbered.pds_next_check_at <= utcnow()
    check()
    assert patient(patient_id).nhs_number_verified_at is not None


@pytest.mark.parametrize("case", [Case.NOT_FOUND, Case.INVALIDATED, Case.PDS_INVALID])
def test_a_number_pds_does_not_know_is_not_verified_and_its_messages_wait(
    trust: int, fake_twilio: FakeTwilio, case: str
) -> None:
    patient_id = enrol_patient(case)
    check()
    found = patient(patient_id)
    assert found.nhs_number_verified_at is None and found.pds_checked_at is None
    assert [n.kind for n in notices_of(patient_id)] == [NoticeKind.NHS_NUMBER_UNVERIFIED]
    make_everything_due()
    assert send_due() == ["deferred"]
    assert fake_twilio.messages == []
    assert patient(patient_id).status == PatientStatus.ACTIVE  # held, not dropped


@pytest.mark.parametrize(("status", "retry_after"), [(429, "7"), (500, None), (503, "120")])
def test_a_429_or_5xx_retries_later_and_never_loses_the_check(
    trust: int, fake_pds: FakePds, fake_twilio: FakeTwilio, status: int, retry_after: str | None
) -> None:
    failing = enrol_patient(Case.NORMAL, phone="07700 900201")
    waiting = enrol_patient(Case.DEATH_REMOVED, phone="07700 900202")
    fake_pds.fail_next(status, retry_after=retry_after)
    before = utcnow()
    assert check() == 0
    failed = patient(failing)
    assert failed.pds_failures == 1 and failed.pds_checked_at is None
    assert failed.pds_next_check_at is not None
    wait = failed.pds_next_check_at - before
    expected = timedelta(seconds=120) if retry_after == "120" else timedelta(minutes=1)
    assert expected - timedelta(seconds=5) < wait < expected + timedelta(seconds=5)
    # The rest of the batch waits for the same retry rather than pressing on.
    assert patient(waiting).pds_next_check_at == failed.pds_next_check_at
    assert len(fake_pds.patient_requests()) == 1
    assert send_due() == ["deferred", "deferred"]
    assert fake_twilio.messages == []
    make_checks_due()  # the retry's time has come
    assert check() == 2
    assert patient(failing).pds_failures == 0
    assert patient(failing).nhs_number_verified_at is not None
    make_everything_due()
    assert send_due() == ["sent", "sent"]


def test_a_planned_message_waits_when_the_last_check_is_too_old_but_a_reply_goes(
    trust: int, fake_twilio: FakeTwilio
) -> None:
    patient_id = enrol_patient(Case.NORMAL)
    check()
    with session_scope() as session:
        session.execute(
            update(Patient)
            .where(Patient.id == patient_id)
            .values(
                pds_checked_at=utcnow() - timedelta(hours=49),
                pds_next_check_at=utcnow() + timedelta(hours=1),
            )
        )
    advice = reply_to(patient_id, "urgent_advice")
    outcomes = send_due()
    assert sorted(outcomes) == ["deferred", "sent"]
    (sent,) = fake_twilio.messages
    assert sent.to == "+447700900123"
    assert [m.id for m in messages_of(patient_id) if m.state == MessageState.SENT] == [advice]
    held = next(m for m in messages_of(patient_id) if m.kind == MessageKind.PLANNED)
    assert held.state == MessageState.SCHEDULED and held.due_at > utcnow() + timedelta(minutes=55)


def test_with_pds_off_nothing_waits_and_nobody_is_asked(
    database_url: str, env: Callable[..., None], fake_pds: FakePds, fake_twilio: FakeTwilio
) -> None:
    load(trust_yaml())
    enrol_patient(Case.DECEASED)
    assert check() == 0
    assert send_due() == ["sent"]
    assert fake_pds.requests == []


# -- helpers -------------------------------------------------------------------------------


def check_again_now(patient_id: int) -> None:
    with session_scope() as session:
        session.execute(
            update(Patient).where(Patient.id == patient_id).values(pds_next_check_at=utcnow())
        )


def make_checks_due() -> None:
    with session_scope() as session:
        session.execute(update(Patient).values(pds_next_check_at=utcnow()))


def make_everything_due() -> None:
    with session_scope() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.state == MessageState.SCHEDULED)
            .values(due_at=utcnow())
        )


def decide_as_coordinator(notice_id: int, *, confirm: bool) -> None:
    with session_scope() as session:
        notice = session.get(PatientNotice, notice_id)
        assert notice is not None
        found = session.get(Patient, notice.patient_id)
        trust = session.get(Trust, notice.trust_id)
        member = session.scalars(
            select(StaffMember).where(
                StaffMember.trust_id == notice.trust_id, StaffMember.role == "coordinator"
            )
        ).first()
        assert found is not None and trust is not None and member is not None
        decide(session, notice, found, member, trust_config(trust), confirm=confirm, now=utcnow())


def audit_details(patient_id: int) -> list[object]:
    with session_scope() as session:
        rows = session.execute(
            select(AuditEvent.details).where(AuditEvent.subject_id == patient_id)
        ).all()
        return [row[0] for row in rows]
