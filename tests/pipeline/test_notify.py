"""GOV.UK Notify as the second SMS provider, wired to the real service: PostgreSQL, Redis, the
fake Twilio and the fake Notify APIs. The provider used is recorded per message; Notify's
receipts and received texts are stored like Twilio's; alerts move to Notify at once when Twilio
fails, and bulk stays with Twilio unless it may fail over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schema.db import session_scope
from schema.models import InboundMessage, MessageState, OutboundMessage
from schema.types import utcnow
from schema.vocabulary import MessageKind
from testing.fake_notify import FakeNotify, FakeText
from tests.conftest import LOCAL
from tests.pipeline.conftest import Service, wait_until
from tests.pipeline.test_alert_sender import send_all_due
from tests.pipeline.test_alerts import ASHA, PATIENT, TRUST_NUMBER, handle_replies, post_sms
from web.app import create_app
from worker.process_state import reset

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def notify(
    service: Service, fake_notify: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> FakeNotify:
    for name, value in fake_notify.env().items():
        monkeypatch.setenv(name, value)
        service.env[name] = value
    reset()
    return fake_notify


@pytest.fixture
def client(notify: FakeNotify) -> Iterator[TestClient]:
    with TestClient(create_app(), base_url=LOCAL) as test_client:
        yield test_client


def post_receipt(
    client: TestClient, notify: FakeNotify, text: FakeText, status: str, **kw: Any
) -> int:
    token = kw.get("token", notify.callback_token)
    payload = notify.status_payload(text, status)
    payload.update(kw.get("override", {}))
    headers = {"Authorization": f"Bearer {token}"}
    return client.post("/notify/status", json=payload, headers=headers).status_code


def the_message(to: str) -> OutboundMessage:
    with session_scope() as session:
        (message,) = [m for m in session.scalars(select(OutboundMessage)) if m.to_address == to]
        return message


def use_notify_first(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_PRIMARY_PROVIDER", "notify")
    service.env["SMS_PRIMARY_PROVIDER"] = "notify"
    reset()


def test_with_notify_first_a_check_in_goes_by_notify_and_the_provider_is_recorded(
    service: Service, notify: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_notify_first(service, monkeypatch)
    service.enrol(1)
    send_all_due()
    (text,) = notify.texts
    assert service.twilio.messages == []
    message = the_message(PATIENT)
    assert message.state == MessageState.SENT
    assert (message.provider, message.provider_message_id) == ("notify", text.id)
    assert text.reference == str(message.id)
    assert "0113 496 0001" in text.body


def test_notifys_receipts_are_recorded_only_with_its_bearer_token_and_the_messages_id(
    service: Service, notify: FakeNotify, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_notify_first(service, monkeypatch)
    service.enrol(1)
    send_all_due()
    (text,) = notify.texts
    assert post_receipt(client, notify, text, "delivered", token="not-the-token") == 403
    assert the_message(PATIENT).state == MessageState.SENT
    other = {"id": "5f1c0c8e-0000-4000-8000-000000000000"}
    assert post_receipt(client, notify, text, "delivered", override=other) == 409
    assert post_receipt(client, notify, text, "delivered") == 200
    message = the_message(PATIENT)
    assert message.state == MessageState.DELIVERED and message.delivered_at is not None


def test_a_permanent_failure_from_notify_fails_the_message_for_an_invalid_number(
    service: Service, notify: FakeNotify, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_notify_first(service, monkeypatch)
    service.enrol(1)
    send_all_due()
    assert post_receipt(client, notify, notify.texts[0], "permanent-failure") == 200
    message = the_message(PATIENT)
    assert message.state == MessageState.FAILED
    assert message.error_code == "permanent-failure"


def test_a_text_to_notifys_number_is_stored_as_a_reply_and_handled(
    service: Service, notify: FakeNotify, client: TestClient
) -> None:
    service.enrol(1)
    payload = notify.inbound_payload(PATIENT, "07700900000", "my legs keep giving way")
    headers = {"Authorization": f"Bearer {notify.callback_token}"}
    assert client.post("/notify/inbound", json=payload, headers=headers).status_code == 200
    assert client.post("/notify/inbound", json=payload, headers={}).status_code == 403
    with session_scope() as session:
        (inbound,) = session.scalars(select(InboundMessage)).all()
        assert inbound.provider_message_id == payload["id"]
        assert (inbound.from_address, inbound.to_address) == (PATIENT, TRUST_NUMBER)
    handle_replies()
    with session_scope() as session:
        (inbound,) = session.scalars(select(InboundMessage)).all()
        assert inbound.label == "red" and inbound.alert_id is not None


def test_twilio_answering_500_moves_alerts_to_notify_within_5_seconds_of_the_first_failure(
    service: Service, notify: FakeNotify, client: TestClient, worker_thread: Any
) -> None:
    service.enrol(1)
    service.twilio.fail_for(60, status=500)
    posted = time.monotonic()
    assert post_sms(client, service, PATIENT, "my legs keep giving way") == 200
    texts = notify.wait_for_texts(2, timeout=15)  # the coordinator's alert, the patient's advice
    first_to_notify = min(t.received_monotonic for t in texts) - posted
    assert first_to_notify < 5.0, f"{first_to_notify:.1f} s from the reply to Notify"
    assert {t.phone_number for t in texts} == {ASHA, PATIENT}
    wait_until(lambda: the_message(ASHA).state == MessageState.SENT)
    assert the_message(ASHA).provider == "notify"
    print(f"failover: first alert at Notify {first_to_notify:.2f} s after the red reply")


def test_while_twilio_fails_bulk_waits_for_it_rather_than_going_by_notify(
    service: Service, notify: FakeNotify
) -> None:
    service.enrol(1)
    service.twilio.fail_for(60, status=500)
    send_all_due()
    assert notify.texts == []
    message = the_message(PATIENT)
    assert message.state == MessageState.SCHEDULED and message.error_code == "http-500"


def test_with_bulk_failover_on_bulk_moves_to_notify_when_twilio_is_slow_by_notifys_rule(
    service: Service, notify: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_BULK_FAILOVER", "true")
    reset()
    service.enrol(1)
    with session_scope() as session:  # Twilio's last quarter hour: 4 of 20 texts over 5 minutes
        now = utcnow()
        for i in range(20):
            sent = now - timedelta(minutes=10)
            took = timedelta(minutes=6) if i < 4 else timedelta(seconds=4)
            session.add(
                OutboundMessage(
                    trust_id=service.trust_id,
                    channel="sms",
                    kind=MessageKind.PLANNED,
                    template_key="welcome",
                    to_address="+447700900999",
                    due_at=sent,
                    state=MessageState.DELIVERED,
                    provider="twilio",
                    provider_message_id=f"SMslow{i}",
                    idempotency_key=f"slow:{i}",
                    sent_at=sent,
                    delivered_at=sent + took,
                )
            )
    send_all_due()
    assert [t.phone_number for t in notify.texts] == [PATIENT]
    assert the_message(PATIENT).provider == "notify"
