"""The Notify provider with the real `notifications-python-client`, against the fake Notify API
on 127.0.0.1, which checks each request's JWT as Notify does."""

from __future__ import annotations

import uuid

import pytest

from testing.fake_notify import FakeNotify
from worker.providers.base import Outgoing, PermanentError, PermanentReason, TransientError
from worker.providers.notify.client import NotifySmsProvider

TO = "+447700900123"
BULK_SENDER, ALERT_SENDER = str(uuid.uuid4()), str(uuid.uuid4())


def _sms(to: str = TO, *, urgent: bool = False) -> Outgoing:
    return Outgoing(message_id=42, channel="sms", to=to, body="How are you today?", urgent=urgent)


def _provider(
    fake: FakeNotify, api_key: str | None = None, timeout: float = 5
) -> NotifySmsProvider:
    return NotifySmsProvider(
        api_key or fake.api_key,
        fake.template_id,
        base_url=fake.base_url,
        sender_id=BULK_SENDER,
        alert_sender_id=ALERT_SENDER,
        timeout=timeout,
    )


def test_a_text_goes_through_our_template_with_our_message_id_as_its_reference(
    fake_notify: FakeNotify,
) -> None:
    result = _provider(fake_notify).send(_sms())
    (text,) = fake_notify.texts
    assert result.provider == "notify" and result.provider_message_id == text.id
    assert text.phone_number == TO
    assert text.template_id == fake_notify.template_id
    assert text.body == "How are you today?"
    assert text.reference == "42"


def test_alerts_go_from_the_alert_sender_and_bulk_from_the_bulk_one(
    fake_notify: FakeNotify,
) -> None:
    provider = _provider(fake_notify)
    provider.send(_sms(urgent=True))
    provider.send(_sms())
    assert [t.sms_sender_id for t in fake_notify.texts] == [ALERT_SENDER, BULK_SENDER]


def test_a_key_with_the_wrong_secret_is_refused_by_the_fake_and_waits_for_an_operator(
    fake_notify: FakeNotify,
) -> None:
    forged = f"forged-{fake_notify.service_id}-{uuid.uuid4()}"
    with pytest.raises(TransientError) as raised:
        _provider(fake_notify, api_key=forged).send(_sms())
    assert raised.value.code == "notify-403"
    assert fake_notify.texts == [] and fake_notify.refused == 1


def test_notify_answering_500_is_worth_trying_again(fake_notify: FakeNotify) -> None:
    fake_notify.fail_next(1, status=500)
    with pytest.raises(TransientError, match="HTTP 500"):
        _provider(fake_notify).send(_sms())


def test_no_answer_in_time_is_a_timeout(fake_notify: FakeNotify) -> None:
    fake_notify.delay_next(1, 1.5)
    with pytest.raises(TransientError) as raised:
        _provider(fake_notify, timeout=0.5).send(_sms())
    assert raised.value.code == "timeout"


def test_an_unreachable_notify_is_worth_trying_again() -> None:
    provider = NotifySmsProvider(
        f"k-{uuid.uuid4()}-{uuid.uuid4()}", str(uuid.uuid4()), base_url="http://127.0.0.1:9"
    )
    with pytest.raises(TransientError) as raised:
        provider.send(_sms())
    assert raised.value.code == "connection"


def test_a_number_notify_will_not_text_is_a_permanent_invalid_number(
    fake_notify: FakeNotify,
) -> None:
    with pytest.raises(PermanentError) as raised:
        _provider(fake_notify).send(_sms(to="+12025550123"))
    assert raised.value.reason == PermanentReason.INVALID_NUMBER
    assert "+1202" not in str(raised.value)  # Notify's words are not repeated: no number
