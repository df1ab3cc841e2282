"""Alerts never queue behind bulk: staff alerts and patients' urgent advice go from the trust's
alert sender, check-ins from the bulk one, and a staff alert SMS carries a validity period so a
stale one expires at Twilio. Against the fake Twilio API, through the real SDK."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.db import session_scope
from schema.models import Alert, MessageState, OutboundMessage, TrustNumber
from schema.settings import reset_settings_cache
from schema.types import utcnow
from schema.vocabulary import MessageKind
from testing.trusts import always_open_trust_yaml
from tests.pipeline.conftest import Service
from tests.pipeline.test_alerts import (
    ASHA,
    BEN,
    PATIENT,
    TRUST_NUMBER,
    handle_replies,
    post_sms,
)
from tests.pipeline.test_receipts import post_receipt
from worker import sending

pytestmark = pytest.mark.timeout(120)

ALERT_NUMBER = "+447700900008"
BULK_NUMBER = TRUST_NUMBER


def with_alert_sender(validity_minutes: int | None = 7) -> str:
    validity = f"\n  alert_validity_minutes: {validity_minutes}" if validity_minutes else ""
    alert_sender = f'\n  alert_sender:\n    from_number: "07700 900008"{validity}'
    return always_open_trust_yaml().replace(
        'from_number: "07700 900000"', 'from_number: "07700 900000"' + alert_sender, 1
    )


def reload_trust(text: str) -> None:
    with session_scope() as session:
        load_trust(
            session,
            config_from_text(text),
            actor=audit.CLI,
            now=utcnow(),
        )


def send_all_due() -> None:
    with session_scope() as session:
        due = session.scalars(
            select(OutboundMessage.id)
            .where(OutboundMessage.state == MessageState.SCHEDULED)
            .order_by(OutboundMessage.id)
        ).all()
    sending.send_messages(list(due))


def test_alerts_and_urgent_advice_go_from_the_alert_sender_and_check_ins_from_the_bulk_one(
    service: Service, client: TestClient
) -> None:
    reload_trust(with_alert_sender())
    service.enrol(1)
    send_all_due()  # the welcome: bulk
    assert post_sms(client, service, PATIENT, "my legs keep giving way") == 200
    handle_replies()
    send_all_due()  # the coordinator's alert and the patient's urgent advice
    by_recipient: dict[str, list[tuple[str | None, str | None]]] = {}
    for fake in service.twilio.messages:
        by_recipient.setdefault(fake.to, []).append((fake.from_, fake.params.get("ValidityPeriod")))
    welcome, advice = by_recipient[PATIENT]
    assert welcome == (BULK_NUMBER, None)
    assert advice == (ALERT_NUMBER, None)  # advice is never withdrawn: no validity period
    assert by_recipient[ASHA] == [(ALERT_NUMBER, str(7 * 60))]


def test_a_staff_alert_carries_the_service_validity_period_when_the_trust_sets_none(
    service: Service, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERT_SMS_VALIDITY_MINUTES", "4")
    reset_settings_cache()
    reload_trust(with_alert_sender(validity_minutes=None))
    service.enrol(1)
    post_sms(client, service, PATIENT, "I can't feel my legs")
    handle_replies()
    send_all_due()
    (alert,) = [m for m in service.twilio.messages if m.to == ASHA]
    assert alert.params["ValidityPeriod"] == "240"
    with session_scope() as session:
        kinds = {m.kind for m in session.scalars(select(OutboundMessage))}
    assert MessageKind.ALERT in kinds


def test_without_an_alert_sender_alerts_fall_back_to_the_bulk_sender(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "my legs keep giving way")
    handle_replies()
    send_all_due()
    (alert,) = [m for m in service.twilio.messages if m.to == ASHA]
    assert alert.from_ == BULK_NUMBER
    assert alert.params["ValidityPeriod"] == "600"  # the service's default, 10 minutes


def test_staff_replies_to_the_alert_number_reach_the_trust(service: Service) -> None:
    reload_trust(with_alert_sender())
    with session_scope() as session:
        numbers = set(session.scalars(select(TrustNumber.number_e164)))
    assert {BULK_NUMBER, ALERT_NUMBER} <= numbers


def test_an_alert_that_expired_at_twilio_moves_the_chain_on_at_once(
    service: Service, client: TestClient
) -> None:
    reload_trust(with_alert_sender())
    service.enrol(1)
    post_sms(client, service, PATIENT, "my legs keep giving way")
    handle_replies()
    send_all_due()
    with session_scope() as session:
        sms = session.scalars(select(OutboundMessage).where(OutboundMessage.channel == "sms"))
        (alert_sms,) = [message for message in sms if message.to_address == ASHA]
    # Twilio reports a message whose validity period ran out in its queue as failed, 30036.
    assert post_receipt(client, service, alert_sms, "failed", ErrorCode="30036") == 200
    with session_scope() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.current_step == 1  # Ben's step, without waiting out Asha's five minutes
        to_ben = [
            key
            for key, to in session.execute(
                select(OutboundMessage.template_key, OutboundMessage.to_address)
            )
            if to == BEN
        ]
    assert to_ben
