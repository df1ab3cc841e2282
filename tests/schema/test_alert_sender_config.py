"""The trust's alert sender, validity period and bulk pace, as its YAML gives them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schema.trust_config import SmsSender


def test_an_alert_sender_is_used_for_urgent_messages_and_the_bulk_sender_for_the_rest() -> None:
    sms = SmsSender.model_validate(
        {"from_number": "07700 900000", "alert_sender": {"from_number": "07700 900008"}}
    )
    assert sms.sender_for(urgent=True).from_number == "+447700900008"
    assert sms.sender_for(urgent=False).from_number == "+447700900000"
    assert sms.inbound_numbers == ["+447700900000", "+447700900008"]


def test_without_an_alert_sender_urgent_messages_use_the_bulk_sender() -> None:
    sms = SmsSender.model_validate({"from_number": "07700 900000"})
    assert sms.sender_for(urgent=True) is sms


def test_an_alert_sender_that_is_the_bulk_sender_is_refused() -> None:
    with pytest.raises(ValidationError, match="alert_sender must differ"):
        SmsSender.model_validate(
            {"from_number": "07700 900000", "alert_sender": {"from_number": "07700900000"}}
        )


def test_an_alert_messaging_service_needs_its_reply_numbers() -> None:
    with pytest.raises(ValidationError, match="reply_numbers"):
        SmsSender.model_validate(
            {
                "from_number": "07700 900000",
                "alert_sender": {"messaging_service_sid": "MG" + "a" * 32},
            }
        )


@pytest.mark.parametrize("minutes", [0, 601])
def test_a_validity_period_outside_twilios_range_is_refused(minutes: int) -> None:
    with pytest.raises(ValidationError, match="alert_validity_minutes"):
        SmsSender.model_validate({"from_number": "07700 900000", "alert_validity_minutes": minutes})
