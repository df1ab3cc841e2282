"""A call step end to end: a red reply through the signed SMS webhook, the call placed through the
real Twilio SDK against the fake Twilio Voice API, the key pressed and the call's end posted back
as Twilio would, signed, to the voice webhooks. Pressing 1 acknowledges; anything else moves on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schema.db import session_scope
from schema.models import (
    Alert,
    AlertState,
    AuditEvent,
    Channel,
    MessageState,
    OutboundMessage,
    StaffMember,
)
from schema.types import SimulatedClock, use_clock
from testing.fake_twilio import FakeCall
from testing.twilio_signing import signed_headers
from tests.conftest import LOCAL
from tests.fakes.rota_trust import VOICE_NUMBER, load_rota_trust
from tests.pipeline.conftest import PUBLIC_BASE_URL, Service, count_messages, wait_until
from tests.pipeline.test_alerts import escalate, handle_replies, post_sms, send_due
from tests.rota.conftest import utc
from web.app import create_app

pytestmark = pytest.mark.timeout(120)

ASHA = "+447700900101"
PATIENT = "+447700900300"
NOON = utc("2026-12-03 12:00")  # Asha is the on-duty coordinator

CALL_FIRST = """escalation:
  red:
    steps:
      - notify: [role:on_duty_coordinator]
        minutes: 5
        call: true
      - notify: [role:on_call_consultant]
        minutes: 10
    repeat_every_minutes: 10
  amber:
    steps:
      - notify: [role:on_duty_coordinator]
        minutes: 60
    repeat_every_minutes: 240
  remind_unresolved_after_hours: 4

"""


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    use_clock(SimulatedClock(NOON))
    load_rota_trust(escalation=CALL_FIRST)
    service.enrol(1)
    with TestClient(create_app(), base_url=LOCAL) as test_client:
        yield test_client
    use_clock(None)


def the_alert() -> Alert:
    with session_scope() as session:
        return session.scalars(select(Alert)).one()


def the_call_message() -> OutboundMessage:
    with session_scope() as session:
        return session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == Channel.VOICE)
        ).one()


def audited(action: str) -> list[dict[str, Any]]:
    with session_scope() as session:
        return [
            dict(d)
            for d in session.scalars(select(AuditEvent.details).where(AuditEvent.action == action))
        ]


def sms_to(service: Service, number: str) -> list[str]:
    return [m.body for m in service.twilio.messages if m.to == number]


def red_alert_call(client: TestClient, service: Service) -> FakeCall:
    assert post_sms(client, service, PATIENT, "my legs have gone weak and numb") == 200
    handle_replies()
    send_due()
    (call,) = service.twilio.wait_for_calls(1)
    return call


def post_as_twilio(
    client: TestClient, url: str, params: dict[str, str], token: str
) -> tuple[int, str]:
    """POST to one of our webhooks exactly as Twilio would: signed over the public URL."""
    parts = urlsplit(url)
    response = client.post(
        f"{parts.path}?{parts.query}", data=params, headers=signed_headers(url, params, token)
    )
    return response.status_code, response.text


def press(client: TestClient, service: Service, call: FakeCall, digits: str) -> tuple[int, str]:
    action = call.gather.get("action") or ""
    return post_as_twilio(
        client, action, service.twilio.gather_params(call, digits), service.twilio.auth_token
    )


def end(client: TestClient, service: Service, call: FakeCall, status: str) -> int:
    params = service.twilio.call_status_params(call, status, duration=20)
    return post_as_twilio(client, call.status_callback or "", params, service.twilio.auth_token)[0]


def test_a_call_step_phones_with_the_alert_in_plain_words_and_a_gather_for_one_key(
    service: Service, client: TestClient
) -> None:
    call = red_alert_call(client, service)
    message = the_call_message()
    alert = the_alert()
    assert (call.to, call.from_, call.timeout) == (ASHA, VOICE_NUMBER, 30)
    assert call.status_callback == f"{PUBLIC_BASE_URL}/twilio/voice/status?m={message.id}"
    gather = call.gather
    assert gather.get("numDigits") == "1" and gather.get("method") == "POST"
    assert gather.get("action") == f"{PUBLIC_BASE_URL}/twilio/voice/gather?m={message.id}"
    spoken = call.spoken
    assert "urgent red alert, code " + ", ".join(alert.code) in spoken
    assert "limb weakness" in spoken and "Press 1 to acknowledge the alert" in spoken
    assert "Ann" not in spoken and "943" not in spoken  # no patient identifiers spoken aloud
    assert sms_to(service, ASHA)  # the text message goes too
    assert (message.provider_message_id, message.state) == (call.sid, MessageState.SENT)


def test_pressing_1_acknowledges_the_alert_and_escalation_stops(
    service: Service, client: TestClient
) -> None:
    call = red_alert_call(client, service)
    status, twiml = press(client, service, call, "1")
    assert status == 200 and "You have acknowledged alert" in twiml and "<Hangup" in twiml
    alert = the_alert()
    with session_scope() as session:
        asha = session.scalars(select(StaffMember).where(StaffMember.key == "asha")).one()
    assert (alert.state, alert.acknowledged_by_id) == (AlertState.ACKNOWLEDGED, asha.id)
    assert [a["via"] for a in audited("alert.acknowledged")] == ["voice"]
    assert end(client, service, call, "completed") == 200
    escalate(NOON + timedelta(minutes=30))
    assert the_alert().current_step == 0  # nobody else was called on
    assert the_call_message().state == MessageState.DELIVERED
    # Pressing 1 again (another call, a retry) changes nothing and says who took it.
    status, twiml = press(client, service, call, "1")
    assert status == 200 and "already acknowledged by Asha Okafor" in twiml


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "completed"])
def test_a_call_not_answered_with_1_moves_the_chain_on_at_once(
    service: Service, client: TestClient, status: str
) -> None:
    call = red_alert_call(client, service)
    assert end(client, service, call, status) == 200
    alert = the_alert()
    assert (alert.state, alert.current_step) == (AlertState.OPEN, 1)  # not after 5 minutes: now
    with session_scope() as session:
        to_consultant = session.scalars(
            select(OutboundMessage.channel)
            .join(StaffMember, StaffMember.id == OutboundMessage.staff_member_id)
            .where(StaffMember.key == "duty_consultant")
        ).all()
    assert sorted(to_consultant) == ["email", "sms"]  # the next step, now
    message = the_call_message()
    if status == "completed":  # answered, by a person or a voicemail, without pressing 1
        assert (message.state, message.error_code) == (MessageState.DELIVERED, "no-key")
    else:
        assert (message.state, message.error_code) == (MessageState.UNDELIVERED, status)
    (story,) = audited("alert.call_not_acknowledged")
    assert story["status"] == ("answered without 1" if status == "completed" else status)
    assert [e["why"] for e in audited("alert.escalated")] == [
        "notification failed" if status != "completed" else f"call {story['status']}"
    ]


def test_another_key_is_told_so_and_asked_again_and_changes_nothing(
    service: Service, client: TestClient
) -> None:
    call = red_alert_call(client, service)
    status, twiml = press(client, service, call, "9")
    assert status == 200
    assert "That key does nothing" in twiml and 'numDigits="1"' in twiml
    assert "Press 1 to acknowledge" in twiml
    assert the_alert().state == AlertState.OPEN


def test_a_forged_or_unsigned_gather_is_refused_and_changes_nothing(
    service: Service, client: TestClient
) -> None:
    call = red_alert_call(client, service)
    action = call.gather.get("action") or ""
    params = service.twilio.gather_params(call, "1")
    assert post_as_twilio(client, action, params, "not-the-auth-token")[0] == 403
    parts = urlsplit(action)
    assert client.post(f"{parts.path}?{parts.query}", data=params).status_code == 403
    tampered = action.replace(f"m={the_call_message().id}", "m=1")  # signed for another message
    headers = signed_headers(action, params, service.twilio.auth_token)
    assert (
        client.post(urlsplit(tampered).path + "?m=1", data=params, headers=headers).status_code
        == 403
    )
    forged_status = service.twilio.call_status_params(call, "no-answer")
    assert post_as_twilio(client, call.status_callback or "", forged_status, "wrong")[0] == 403
    alert = the_alert()
    assert (alert.state, alert.current_step) == (AlertState.OPEN, 0)
    assert audited("alert.acknowledged") == [] and audited("alert.call_not_acknowledged") == []


def test_a_signed_gather_for_a_message_that_is_not_this_call_is_not_found(
    service: Service, client: TestClient
) -> None:
    call = red_alert_call(client, service)
    with session_scope() as session:
        sms = session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == Channel.SMS)
        ).first()
        assert sms is not None
    params = service.twilio.gather_params(call, "1")
    token = service.twilio.auth_token
    assert (
        post_as_twilio(client, f"{PUBLIC_BASE_URL}/twilio/voice/gather?m={sms.id}", params, token)[
            0
        ]
        == 404
    )
    other_call = {**params, "CallSid": f"CA{uuid.uuid4().hex}"}
    action = call.gather.get("action") or ""
    assert post_as_twilio(client, action, other_call, token)[0] == 404
    assert the_alert().state == AlertState.OPEN


def test_the_alerts_worker_places_the_call_within_seconds_of_the_reply(
    service: Service, client: TestClient, worker_thread: Any
) -> None:
    assert post_sms(client, service, PATIENT, "can't feel my legs") == 200
    (call,) = service.twilio.wait_for_calls(1, timeout=15)  # no dispatcher tick: published at once
    assert call.to == ASHA
    assert press(client, service, call, "1")[0] == 200
    assert the_alert().state == AlertState.ACKNOWLEDGED
    # Let the worker finish the texts and the email it was sending alongside the call.
    wait_until(lambda: count_messages(state=[MessageState.QUEUED, MessageState.SENDING]) == 0)


def test_a_call_twilio_refuses_moves_the_chain_on_at_once_and_the_text_still_goes(
    service: Service, client: TestClient
) -> None:
    service.twilio.refuse_calls(status=400, code=21211)
    assert post_sms(client, service, PATIENT, "my legs have gone weak and numb") == 200
    handle_replies()
    send_due()
    assert service.twilio.calls == [] and sms_to(service, ASHA)
    message = the_call_message()
    assert (message.state, message.error_code) == (MessageState.FAILED, "21211")
    assert the_alert().current_step == 1  # the next step at once, not after 5 minutes
