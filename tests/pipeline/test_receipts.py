"""Delivery receipts: signed only, never backwards, and failures followed up."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway.outbound import create_message
from schema.db import session_scope
from schema.models import Channel, MessageState, OutboundMessage, Patient, Queue
from schema.types import utcnow
from schema.vocabulary import MessageKind
from testing.twilio_signing import signed_headers
from tests.pipeline.conftest import PUBLIC_BASE_URL, Service, count_messages
from worker import sending


def post_receipt(
    client: TestClient, service: Service, message: OutboundMessage, status: str, **extra: str
) -> int:
    path = f"/twilio/status?m={message.id}"
    params = {"MessageSid": message.provider_message_id or "", "MessageStatus": status, **extra}
    headers = signed_headers(PUBLIC_BASE_URL + path, params, service.twilio.auth_token)
    return client.post(path, data=params, headers=headers).status_code


def sent_sms(service: Service, patient_id: int) -> OutboundMessage:
    with session_scope() as session:
        message = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.patient_id == patient_id, OutboundMessage.channel == Channel.SMS
            )
        ).one()
    assert sending.send_message(message.id) == sending.Outcome.SENT
    return reload(message)


def reload(message: OutboundMessage | int) -> OutboundMessage:
    message_id = message if isinstance(message, int) else message.id
    with session_scope() as session:
        fresh = session.get(OutboundMessage, message_id)
        assert fresh is not None
        return fresh


def test_delivered_is_recorded_and_a_late_sent_does_not_undo_it(
    service: Service, client: TestClient
) -> None:
    (patient,) = service.enrol(1)
    message = sent_sms(service, patient)
    assert post_receipt(client, service, message, "delivered") == 200
    assert post_receipt(client, service, message, "sent") == 200
    assert post_receipt(client, service, message, "delivered") == 200
    final = reload(message)
    assert final.state == MessageState.DELIVERED
    assert final.delivered_at is not None


def test_a_forged_receipt_is_refused_and_changes_nothing(
    service: Service, client: TestClient
) -> None:
    (patient,) = service.enrol(1)
    message = sent_sms(service, patient)
    path = f"/twilio/status?m={message.id}"
    params = {"MessageSid": message.provider_message_id or "", "MessageStatus": "undelivered"}
    forged = signed_headers(PUBLIC_BASE_URL + path, params, "not-the-auth-token")
    assert client.post(path, data=params, headers=forged).status_code == 403
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post(path, data=params, headers=unsigned).status_code == 403
    other_host = signed_headers("https://evil.example" + path, params, service.twilio.auth_token)
    assert client.post(path, data=params, headers=other_host).status_code == 403
    tampered = signed_headers(PUBLIC_BASE_URL + path, params, service.twilio.auth_token)
    assert (
        client.post(f"/twilio/status?m={message.id + 1}", data=params, headers=tampered).status_code
        == 403
    )
    assert reload(message).state == MessageState.SENT
    assert count_messages(channel=Channel.EMAIL) == 0


def test_an_undelivered_sms_is_followed_by_the_same_content_by_email(
    service: Service, client: TestClient
) -> None:
    (patient,) = service.enrol(1, email=True)
    message = sent_sms(service, patient)
    assert post_receipt(client, service, message, "undelivered", ErrorCode="30003") == 200
    assert reload(message).state == MessageState.UNDELIVERED
    with session_scope() as session:
        fallback = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.idempotency_key == f"fallback:{message.id}"
            )
        ).one()
    assert fallback.channel == Channel.EMAIL
    assert fallback.template_key == message.template_key
    assert sending.send_message(fallback.id) == sending.Outcome.SENT
    (email,) = [
        m
        for m in service.smtp.messages
        if m["To"] == "patient0@example.com"
        and "0113 496 0001" in m.get_body(("plain",)).get_content()
    ]  # type: ignore[union-attr]
    assert email is not None


def test_three_failed_messages_flag_the_patient_unreachable_and_tell_the_coordinators(
    service: Service, client: TestClient
) -> None:
    (patient_id,) = service.enrol(1)
    first = sent_sms(service, patient_id)
    more = []
    with session_scope() as session:
        for n in (1, 2):
            message, _ = create_message(
                session,
                idempotency_key=f"test:{n}",
                kind=MessageKind.PLANNED,
                trust_id=service.trust_id,
                channel=Channel.SMS,
                template_key="checkin",
                to_address=first.to_address,
                due_at=utcnow(),
                queue=Queue.MESSAGES,
                patient_id=patient_id,
                now=utcnow(),
            )
            more.append(message.id)
    for message_id in more:
        assert sending.send_message(message_id) == sending.Outcome.SENT
    messages = [first] + [reload(i) for i in more]
    for i, message in enumerate(messages):
        assert post_receipt(client, service, message, "failed", ErrorCode="30008") == 200
        with session_scope() as session:
            patient = session.get(Patient, patient_id)
            assert patient is not None
            flagged = patient.unreachable_since is not None
        assert flagged == (i == 2)
    notices = count_messages(template_key="unreachable_patient", queue=Queue.MESSAGES)
    assert notices == 2


def test_a_delivered_message_clears_the_unreachable_flag(
    service: Service, client: TestClient
) -> None:
    (patient_id,) = service.enrol(1)
    message = sent_sms(service, patient_id)
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        patient.unreachable_since = utcnow()
    assert post_receipt(client, service, message, "delivered") == 200
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.unreachable_since is None


def test_a_receipt_that_beats_our_own_record_is_kept(service: Service, client: TestClient) -> Any:
    (patient,) = service.enrol(1)
    with session_scope() as session:
        message = session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == patient)
        ).one()
        message.state = MessageState.SENDING
    message.provider_message_id = "SM" + "0" * 32
    assert post_receipt(client, service, message, "delivered") == 200
    stored = reload(message)
    assert stored.state == MessageState.DELIVERED
    assert stored.provider_message_id == "SM" + "0" * 32


def test_a_receipt_for_no_message_is_a_404(service: Service, client: TestClient) -> None:
    path = "/twilio/status?m=999999"
    params = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    headers = signed_headers(PUBLIC_BASE_URL + path, params, service.twilio.auth_token)
    assert client.post(path, data=params, headers=headers).status_code == 404
