"""GET /metrics: Prometheus's text format, to the bearer of METRICS_TOKEN only, with the figures
read from the database and the broker when scraped (issue 15, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from schema.heartbeats import record_heartbeat
from schema.models import OutboundMessage, Trust
from schema.settings import Settings
from schema.types import utcnow
from tests.conftest import LOCAL
from tests.web.conftest import bearer, enrol_patient, red_alert, reply
from web.app import create_app
from worker.process_state import reset

TOKEN = "m" * 40
SERIES = {
    "safetynet_alerts_open",
    "safetynet_alert_oldest_unacknowledged_seconds",
    "safetynet_reviews_overdue",
    "safetynet_queue_depth",
    "safetynet_dispatch_lag_seconds",
    "safetynet_beat_age_seconds",
    "safetynet_messages_total",
    "safetynet_up",
}


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    reset()


def scrape(headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
    with TestClient(create_app(), base_url=LOCAL) as client:
        response = client.get("/metrics", headers=headers or {})
    return response.status_code, response.text, dict(response.headers)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_without_a_token_configured_there_is_no_metrics_page(session: Session) -> None:
    status, _, _ = scrape(bearer(TOKEN))
    assert status == 404


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("x" * 40), bearer(TOKEN[:-1]), {"Authorization": f"Basic {TOKEN}"}],
    ids=["none", "another", "one-short", "not-bearer"],
)
def test_a_request_without_the_token_is_refused(
    session: Session, metrics_on: None, headers: dict[str, str]
) -> None:
    status, text, response_headers = scrape(headers)
    assert status == 401
    assert "safetynet_" not in text
    assert response_headers["www-authenticate"].startswith("Bearer")


def test_the_bearer_of_the_token_gets_every_series_from_the_database(
    session: Session, trust: Trust, metrics_on: None
) -> None:
    patient = enrol_patient(session, trust, "9434765919", "+447700900123")
    red_alert(session, trust, patient, "my legs keep giving way")
    waiting = reply(session, trust, patient, "what time is my appointment", "unclear")
    waiting.received_at = utcnow() - timedelta(days=2)
    waiting.review_due_at = utcnow() - timedelta(days=1)  # its deadline has passed
    session.execute(  # the welcome SMS has waited ten minutes to be dispatched
        update(OutboundMessage)
        .where(OutboundMessage.patient_id == patient.id)
        .values(due_at=utcnow() - timedelta(minutes=10))
    )
    record_heartbeat(session, "beat", utcnow() - timedelta(seconds=90))
    session.commit()

    status, text, headers = scrape(bearer(TOKEN))

    assert status == 200
    assert headers["content-type"].startswith("text/plain")
    found = samples(text)
    assert {name for name, _ in found} >= SERIES
    assert found[("safetynet_alerts_open", (("level", "red"),))] == 1
    assert found[("safetynet_alerts_open", (("level", "amber"),))] == 0
    assert 0 <= found[("safetynet_alert_oldest_unacknowledged_seconds", ())] < 60
    assert found[("safetynet_reviews_overdue", ())] == 1
    assert 590 < found[("safetynet_dispatch_lag_seconds", ())] < 700
    assert 85 < found[("safetynet_beat_age_seconds", ())] < 150
    assert found[("safetynet_queue_depth", (("queue", "alerts"),))] == 0
    assert found[("safetynet_up", (("component", "database"),))] == 1
    assert found[("safetynet_up", (("component", "broker"),))] == 1
    messages = {
        labels: value
        for (name, labels), value in found.items()
        if name == "safetynet_messages_total"
    }
    assert sum(messages.values()) == session.query(OutboundMessage).count()
    assert (("channel", "sms"), ("provider", "none"), ("state", "scheduled")) in messages


def test_no_label_carries_an_identifier(session: Session, trust: Trust, metrics_on: None) -> None:
    patient = enrol_patient(session, trust, "9434765919", "+447700900123", email="ann@example.com")
    red_alert(session, trust, patient, "my legs keep giving way")
    session.commit()
    _, text, _ = scrape(bearer(TOKEN))
    for identifier in ("447700900123", "9434765919", "ann@example.com", "Ann", "legs"):
        assert identifier not in text


def test_a_database_that_cannot_be_read_is_reported_not_a_failed_scrape(
    sqlite_url: str, metrics_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    reset()
    status, text, _ = scrape(bearer(TOKEN))
    assert status == 200
    found = samples(text)
    assert found[("safetynet_up", (("component", "database"),))] == 0
    assert ("safetynet_alerts_open", (("level", "red"),)) not in found


def test_the_token_must_be_long_enough_not_to_be_guessed() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("METRICS_TOKEN", "short")
        with pytest.raises(ValidationError, match="METRICS_TOKEN must be at least 32"):
            Settings()
