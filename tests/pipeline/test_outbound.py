"""Scheduled messages end to end: database, dispatcher, Celery on Redis, Twilio SDK, fake API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, update

from messages.catalogue import CATALOGUE
from messages.languages import BILINGUAL
from pathway import audit
from pathway import patient_status as patient_ops
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.db import session_scope
from schema.models import Channel, MessageState, OutboundMessage, Patient
from schema.settings import reset_settings_cache
from schema.types import utcnow
from testing.trusts import WELCOME_ONLY_COHORT
from tests.conftest import EXAMPLE_TRUST
from tests.pipeline.conftest import Service, count_messages, sent_count, wait_until
from worker import sending
from worker.sending import Outcome

pytestmark = pytest.mark.timeout(120)


def messages_of(patient_id: int) -> list[OutboundMessage]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.patient_id == patient_id)
                .order_by(OutboundMessage.id)
            )
        )


def the_sms(patient_id: int) -> OutboundMessage:
    (message,) = [m for m in messages_of(patient_id) if m.channel == Channel.SMS]
    return message


def make_due(message_id: int) -> None:
    with session_scope() as session:
        session.execute(
            update(OutboundMessage).where(OutboundMessage.id == message_id).values(due_at=utcnow())
        )


def test_due_messages_reach_twilio_with_the_contact_numbers(
    service: Service, worker_thread: Any
) -> None:
    patients = service.enrol(3)
    assert service.dispatch() == 3
    arrived = service.twilio.wait_for_messages(3)
    assert {m.to for m in arrived} == {"+447700900300", "+447700900301", "+447700900302"}
    for fake in arrived:
        assert "0113 496 0001" in fake.body  # the 24-hour MSCC coordinator line
        assert fake.from_ == "+447700900000"
        assert fake.status_callback and fake.status_callback.startswith(
            "https://safetynet.test.example/twilio/status?m="
        )
    wait_until(lambda: sent_count() == 3)
    message = the_sms(patients[0])
    assert message.provider == "twilio"
    assert message.provider_message_id in {m.sid for m in arrived}
    # no language recorded, and the trust serves Welsh: the bilingual welcome, within budget
    assert message.segments and 1 <= message.segments <= CATALOGUE["welcome"].budget(BILINGUAL)
    assert message.body and "0113 496 0001" in message.body


def test_email_goes_through_smtp_as_text_and_html(service: Service, worker_thread: Any) -> None:
    service.enrol(1, email=True)
    service.dispatch()
    wait_until(lambda: len(service.smtp.messages) == 1)
    email = service.smtp.messages[0]
    assert email["To"] == "patient0@example.com"
    types = {part.get_content_type() for part in email.walk()}
    assert {"text/plain", "text/html"} <= types
    wait_until(lambda: sent_count() == 2)


def test_sending_the_same_message_twice_sends_it_once(service: Service) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    assert sending.send_message(message_id) == Outcome.SENT
    assert sending.send_message(message_id) == Outcome.SKIPPED
    assert len(service.twilio.messages) == 1
    assert the_sms(patient).attempts == 1


def test_a_message_not_yet_due_is_not_sent(service: Service) -> None:
    (patient,) = service.enrol(1)
    message = the_sms(patient)
    with session_scope() as session:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message.id)
            .values(due_at=utcnow() + timedelta(hours=1))
        )
    assert sending.send_message(message.id) == Outcome.SKIPPED
    assert service.twilio.messages == []


@pytest.mark.parametrize("change", ["opt_out", "pause", "discharge"])
def test_opted_out_paused_and_discharged_patients_receive_nothing(
    service: Service, change: str
) -> None:
    (patient_id,) = service.enrol(1)
    message_id = the_sms(patient_id).id
    with session_scope() as session:
        # The message was already claimed when the change happened: the send task must notice.
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(state=MessageState.QUEUED)
        )
        patient = session.get(Patient, patient_id)
        assert patient is not None
        if change == "opt_out":
            patient_ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="test")
        elif change == "pause":
            patient_ops.pause(session, patient, now=utcnow(), actor=audit.CLI)
        else:
            patient_ops.discharge(session, patient, now=utcnow(), actor=audit.CLI)
    assert sending.send_message(message_id) == Outcome.SUPPRESSED
    assert service.twilio.messages == []
    assert the_sms(patient_id).state == MessageState.SUPPRESSED


@pytest.mark.parametrize(("status", "code"), [(500, None), (503, None), (429, 20429)])
def test_transient_failures_retry_with_backoff_and_then_send(
    service: Service, status: int, code: int | None
) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    service.twilio.fail_next(2, status=status, code=code)
    assert sending.send_message(message_id) == Outcome.RETRY
    first_retry = the_sms(patient)
    assert first_retry.state == MessageState.SCHEDULED
    assert first_retry.due_at > utcnow() + timedelta(seconds=10)
    assert sending.send_message(message_id) == Outcome.SKIPPED  # not due yet
    make_due(message_id)
    assert sending.send_message(message_id) == Outcome.RETRY
    second_retry = the_sms(patient)
    assert second_retry.due_at - utcnow() > timedelta(seconds=25)  # the delay doubled
    make_due(message_id)
    assert sending.send_message(message_id) == Outcome.SENT
    assert the_sms(patient).attempts == 3
    assert len(service.twilio.messages) == 1


def test_transient_failures_give_up_after_the_limit(service: Service) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    service.twilio.fail_next(100, status=500)
    outcomes = []
    for _ in range(sending.RETRY[sending.Queue.MESSAGES].max_attempts):
        outcomes.append(sending.send_message(message_id))
        make_due(message_id)
    assert outcomes[-1] == Outcome.FAILED
    assert set(outcomes[:-1]) == {Outcome.RETRY}
    assert the_sms(patient).state == MessageState.FAILED


def test_twilio_21610_opts_the_patient_out_without_retrying(service: Service) -> None:
    (patient_id,) = service.enrol(1)
    service.twilio.fail_next(1, status=400, code=21610)
    assert sending.send_message(the_sms(patient_id).id) == Outcome.FAILED
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.opted_out_at is not None
    assert the_sms(patient_id).error_code == "21610"
    assert service.twilio.request_count == 1


@pytest.mark.parametrize("code", [21211, 21614])
def test_an_invalid_or_landline_number_flags_the_patient_unreachable(
    service: Service, code: int
) -> None:
    (patient_id,) = service.enrol(1)
    service.twilio.fail_next(1, status=400, code=code)
    assert sending.send_message(the_sms(patient_id).id) == Outcome.FAILED
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.unreachable_since is not None
    notices = count_messages(template_key="unreachable_patient")
    assert notices == 2  # both coordinators of the example trust
    assert service.twilio.request_count == 1


def test_the_dispatcher_claims_each_due_message_once(service: Service) -> None:
    service.enrol(20)
    first = service.dispatch()
    second = service.dispatch()
    assert (first, second) == (20, 0)
    assert count_messages(state=MessageState.QUEUED) == 20


def test_the_dispatcher_keeps_the_broker_window_bounded(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPATCH_MAX_IN_FLIGHT", "15")
    reset_settings_cache()
    service.enrol(40)
    assert service.dispatch() == 15
    assert service.dispatch() == 0
    assert count_messages(state=MessageState.SCHEDULED) == 25


def test_a_retry_does_not_wait_behind_time_travel(service: Service) -> None:
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    service.twilio.fail_next(1, status=500)
    assert sending.send_message(message_id) == Outcome.RETRY
    with time_machine.travel(utcnow() + timedelta(minutes=5)):
        assert sending.send_message(message_id) == Outcome.SENT


def test_a_planned_message_held_up_past_the_send_window_waits_for_it_to_open(
    service: Service,
) -> None:

    text = EXAMPLE_TRUST.read_text().replace("cohorts:\n", WELCOME_ONLY_COHORT)
    with session_scope() as session:  # the real 09:00-20:00 window
        load_trust(
            session,
            config_from_text(text),
            actor=audit.CLI,
            now=utcnow(),
        )
    london = ZoneInfo("Europe/London")
    (patient,) = service.enrol(1)
    message_id = the_sms(patient).id
    late_evening = datetime(2026, 12, 1, 22, 30, tzinfo=london)
    make_due(message_id)
    with time_machine.travel(late_evening, tick=False):
        assert sending.send_message(message_id) == Outcome.DEFERRED
    deferred = the_sms(patient)
    assert deferred.state == MessageState.SCHEDULED
    assert deferred.due_at == datetime(2026, 12, 2, 9, 0, tzinfo=london)
    assert deferred.attempts == 0
    assert service.twilio.messages == []
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, 1, tzinfo=london), tick=False):
        assert sending.send_message(message_id) == Outcome.SENT
