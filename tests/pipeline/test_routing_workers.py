"""Routing with real worker processes, Redis, PostgreSQL and the fake Twilio API: replies
arriving at the same instant on two alerts workers raise one alert per patient; an unknown
number's red reply reaches the coordinator within 2 s on an idle service, and is on the queue."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from schema.db import session_scope
from schema.models import Alert, AlertState, InboundMessage
from testing.twilio_signing import signed_headers
from tests.pipeline.conftest import (
    PUBLIC_BASE_URL,
    Service,
    WorkerProcess,
    wait_for_progress,
    wait_until,
)
from web.dashboard import queries
from worker.app import get_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

TRUST_NUMBER = "+447700900000"
FIRST_COORDINATOR = "+447700900101"
STRANGER = "+447700900888"
RED = "My legs keep giving way and I cannot feel my feet"


def post_sms(client: TestClient, service: Service, sender: str, body: str) -> None:
    params = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": service.twilio.account_sid,
        "From": sender,
        "To": TRUST_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    headers = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, service.twilio.auth_token)
    assert client.post("/twilio/sms", data=params, headers=headers).status_code == 200


def alerts_workers(service: Service, count: int, log: Path) -> list[WorkerProcess]:
    workers = [WorkerProcess(service.env, "alerts", 2, log).start() for _ in range(count)]
    wait_until(lambda: len(get_app().control.ping(timeout=0.5)) >= count, timeout=90)
    return workers


def handled() -> int:
    with session_scope() as session:
        query = select(func.count()).where(InboundMessage.handled_at.is_not(None))
        return int(session.scalar(query) or 0)


def test_red_replies_sent_at_once_to_two_alerts_workers_raise_one_alert_per_patient(
    service: Service, client: TestClient, tmp_path: Path
) -> None:
    patients = service.enrol(4)
    phones = [f"+447700{900300 + i}" for i in range(len(patients))]
    workers = alerts_workers(service, 2, tmp_path / "workers.log")
    try:
        start = threading.Barrier(len(phones) * 2)

        def send(phone: str, body: str) -> None:
            start.wait(timeout=20)
            post_sms(client, service, phone, body)

        threads = [
            threading.Thread(target=send, args=(phone, body))
            for phone in phones
            for body in (RED, "sorry pressed send too soon, my legs are numb")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        wait_for_progress(handled, len(threads), what="replies handled")
    finally:
        for worker in workers:
            worker.stop()
    with session_scope() as session:
        per_patient = session.execute(
            select(Alert.patient_id, func.count()).group_by(Alert.patient_id)
        ).all()
        assert sorted(per_patient) == [(p, 1) for p in sorted(patients)]
        unattached = session.scalar(select(func.count()).where(InboundMessage.alert_id.is_(None)))
        assert unattached == 0


def test_a_red_reply_from_an_unknown_number_reaches_the_coordinator_within_2_s_when_idle(
    service: Service, client: TestClient, tmp_path: Path
) -> None:
    workers = alerts_workers(service, 1, tmp_path / "workers.log")
    try:
        replied = time.monotonic()
        post_sms(client, service, STRANGER, "this is Ann's husband, her legs have gone numb")
        wait_until(lambda: FIRST_COORDINATOR in {m.to for m in service.twilio.messages}, timeout=20)
        wait_until(lambda: STRANGER in {m.to for m in service.twilio.messages}, timeout=20)
    finally:
        for worker in workers:
            worker.stop()
    arrivals = {m.to: m.received_monotonic for m in reversed(service.twilio.messages)}
    coordinator = arrivals[FIRST_COORDINATOR] - replied
    print(f"\nunknown sender's red reply: the coordinator's SMS {coordinator:.2f} s after it")
    assert coordinator < 2.0
    with session_scope() as session:
        [alert] = queries.alerts_in_state(session, service.trust_id, AlertState.OPEN)
        assert alert.patient is None and alert.unknown_sender == STRANGER
