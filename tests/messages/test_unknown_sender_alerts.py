"""Staff messages about an unknown sender's alert: no patient, the sender's number to call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from messages.catalogue import CATALOGUE
from messages.rendering import render
from messages.template_context import AlertFacts, build_context
from schema.trust_config import TrustConfig

ABOUT_AN_ALERT = [
    ("coordinator_alert", "sms"),
    ("coordinator_alert", "email"),
    ("escalation_alert", "sms"),
    ("escalation_alert", "email"),
    ("ack_confirmation", "sms"),
    ("unresolved_reminder", "sms"),
    ("unresolved_reminder", "email"),
    ("alert_taken", "sms"),
]


def unknown_sender_context(config: TrustConfig) -> dict[str, Any]:
    facts = AlertFacts(
        code="K7P2",
        level="red",
        symptoms=("limb_weakness", "saddle_numbness", "radicular_pain"),
        reply_excerpt="this is Ann's husband, her legs have gone numb and she can't stand " * 3,
        sender="+447700900777",
        step=2,
        acknowledged_by_name="Asha Patel",
        acknowledged_at=datetime(2026, 12, 1, 2, 5, tzinfo=UTC),
        raised_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    )
    return build_context(config, alert=facts, dashboard_url="https://safetynet.example")


@pytest.mark.parametrize(("key", "channel"), ABOUT_AN_ALERT)
def test_an_unknown_senders_alert_names_no_patient_and_gives_the_number_to_call(
    key: str, channel: str, config: TrustConfig
) -> None:
    rendered = render(key, channel, unknown_sender_context(config))
    assert "None" not in rendered.text
    if key != "alert_taken":  # "someone else took it" names nobody
        assert "07700 900777" in rendered.text
    if channel == "sms":
        assert rendered.sms is not None
        assert rendered.sms.segments <= CATALOGUE[key].sms_budget


def test_the_first_alert_sms_says_unknown_sender(config: TrustConfig) -> None:
    text = render("coordinator_alert", "sms", unknown_sender_context(config)).text
    assert "UNKNOWN SENDER" in text
    assert "Sender wrote" in text
