"""A status callback whose MessageSid is not the one stored for `?m=` is refused and audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from schema.db import session_scope
from schema.models import AuditEvent, MessageState, OutboundMessage
from testing.twilio_signing import signed_headers
from tests.pipeline.conftest import PUBLIC_BASE_URL, Service
from tests.pipeline.test_receipts import reload, sent_sms


def post(client: TestClient, service: Service, message_id: int, sid: str, status: str) -> int:
    path = f"/twilio/status?m={message_id}"
    params = {"MessageSid": sid, "MessageStatus": status}
    headers = signed_headers(PUBLIC_BASE_URL + path, params, service.twilio.auth_token)
    return client.post(path, data=params, headers=headers).status_code


def refusals(message_id: int) -> list[AuditEvent]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "receipt.refused", AuditEvent.subject_id == message_id
                )
            )
        )


def test_a_receipt_naming_another_messages_sid_is_refused_audited_and_changes_nothing(
    service: Service, client: TestClient
) -> None:
    first, second = service.enrol(2)
    mine, other = sent_sms(service, first), sent_sms(service, second)
    assert other.provider_message_id and other.provider_message_id != mine.provider_message_id
    status = post(client, service, mine.id, other.provider_message_id, "undelivered")
    assert status == 409
    for message in (mine, other):
        after = reload(message)
        assert after.state == MessageState.SENT
        assert after.provider_message_id == message.provider_message_id
    (refusal,) = refusals(mine.id)
    assert refusal.details["received_sid"] == other.provider_message_id
    assert refusal.trust_id == mine.trust_id
    assert post(client, service, mine.id, mine.provider_message_id or "", "delivered") == 200
    assert reload(mine).state == MessageState.DELIVERED


def test_a_receipt_that_beats_our_record_of_the_send_is_applied_unless_its_sid_is_anothers(
    service: Service, client: TestClient
) -> None:
    first, second = service.enrol(2)
    other = sent_sms(service, second)
    with session_scope() as session:
        waiting = session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == first)
        ).one()
        waiting_id = waiting.id
    assert post(client, service, waiting_id, other.provider_message_id or "", "sent") == 409
    assert reload(waiting_id).provider_message_id is None
    assert len(refusals(waiting_id)) == 1
    assert post(client, service, waiting_id, "SM" + "7" * 32, "sent") == 200
    assert reload(waiting_id).provider_message_id == "SM" + "7" * 32
