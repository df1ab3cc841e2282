"""`safetynet status` (and a worker starting) say what the sending set-up lacks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app
from schema.models import Trust
from schema.settings import Settings
from worker.sender_warnings import sender_warnings


def test_a_trust_without_an_alert_sender_is_named_in_the_warnings(
    session: Session, trust: Trust
) -> None:
    (alert_sender, pacing) = sender_warnings(session, Settings())
    assert f"trust {trust.code} has no dedicated alert sender" in alert_sender
    assert f"trust {trust.code}'s bulk is not paced" in pacing


def test_a_bulk_pace_set_for_the_service_silences_the_pacing_warning(
    session: Session, trust: Trust
) -> None:
    warnings = sender_warnings(session, Settings(bulk_sms_per_second=10))
    assert not any("not paced" in w for w in warnings)


def test_twilio_without_notify_warns_that_alerts_have_no_second_provider(
    session: Session, trust: Trust
) -> None:
    settings = Settings(twilio_account_sid="AC1", twilio_auth_token="t")
    assert any("no second SMS provider" in w for w in sender_warnings(session, settings))


def test_status_prints_the_warnings_in_its_json(
    session: Session, trust: Trust, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(app, ["status", "--json"])
    start = result.output.index("{")
    reported = json.loads(result.output[start:])
    assert any("no dedicated alert sender" in w for w in reported["warnings"])
