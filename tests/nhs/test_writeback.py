"""Written back to the trust's record: each message sent, each reply and each alert with its
outcome, as FHIR Communication and Flag, by signed callbacks to a fake receiver on 127.0.0.1
(its clock and ours simulated), and by the staff API's feed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pathway import audit
from pathway.acknowledgement import acknowledge, resolve
from pathway.intake import store_inbound
from pathway.outcomes import Resolution
from pathway.receipts import apply_receipt
from pathway.replies import handle_inbound
from pathway.writeback import body_of
from schema.db import session_scope
from schema.models import (
    Alert,
    AuditEvent,
    Callback,
    CallbackState,
    MessageState,
    OutboundMessage,
    StaffMember,
    Trust,
)
from schema.settings import get_settings
from schema.types import utcnow
from tests.conftest import LOCAL
from tests.fakes.callback_receiver import CallbackReceiver
from tests.nhs.conftest import CALLBACK_SECRET, enrol_patient, load, send_due, trust_yaml
from tests.web.conftest import bearer
from web.app import create_app
from web.auth import tokens
from worker import callback_delivery

pytestmark = pytest.mark.timeout(120)

NHS = "9434765919"


class Clock:
    """Ours and the receiver's: real time until the test moves it forward, then that far ahead
    (callbacks are made by the real clock, so simulated time never runs behind it)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        self.now = max(self.now, utcnow())
        return self.now

    def timestamp(self) -> float:
        return self().timestamp()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver(clock: Clock) -> Iterator[CallbackReceiver]:
    with CallbackReceiver([CALLBACK_SECRET.encode()], clock=clock.timestamp) as fake:
        yield fake


@pytest.fixture
def trust(database_url: str, env: Callable[..., None], receiver: CallbackReceiver) -> int:
    return load(trust_yaml(write_back_url=receiver.url))


def deliver(clock: Clock) -> int:
    return callback_delivery.deliver_due(get_settings(), now=clock, clock=clock.timestamp)


def callbacks() -> list[Callback]:
    with session_scope() as session:
        rows = list(session.scalars(select(Callback).order_by(Callback.id)))
        for row in rows:
            session.expunge(row)
        return rows


def a_whole_story(patient_id: int) -> int:
    """A welcome sent and delivered, a red reply, its alert acknowledged and resolved."""
    assert send_due() == ["sent"]
    now = utcnow()
    with session_scope() as session:
        welcome = session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == patient_id)
        ).one()
        apply_receipt(
            session,
            welcome,
            provider_message_id=welcome.provider_message_id or "SM1",
            state=MessageState.DELIVERED,
            error_code=None,
            reason=None,
            detail="",
            now=now,
        )
        inbound_id = store_inbound(
            session,
            sid="SM" + "c" * 32,
            sender="+447700900123",
            to="+447700900000",
            body="my legs keep giving way",
            now=now,
        )
        assert inbound_id is not None
        handle_inbound(session, inbound_id, now)
        alert = session.scalars(select(Alert)).one()
        coordinator = session.scalars(select(StaffMember).where(StaffMember.key == "asha")).one()
        acknowledge(session, alert, coordinator, now=now, via="web")
        resolution = Resolution("mri_arranged", "MRI arranged", "Seen in ED.", None)
        resolve(session, alert, coordinator, resolution, now=now)
        return int(alert.id)


def test_each_message_reply_and_alert_outcome_reaches_the_record_signed(
    trust: int, receiver: CallbackReceiver, clock: Clock
) -> None:
    patient_id = enrol_patient(NHS)
    alert_id = a_whole_story(patient_id)
    made = callbacks()
    assert [c.event_type for c in made] == [
        "communication.sent",
        "communication.updated",
        "flag.raised",
        "communication.received",
        "flag.updated",
        "flag.updated",
    ]
    assert deliver(clock) == len(made)
    assert receiver.forged == 0 and receiver.duplicates == 0
    assert set(receiver.accepted) == {c.idempotency_key for c in made}
    assert {c.state for c in callbacks()} == {CallbackState.DELIVERED}
    by_type = {}
    for received in receiver.accepted.values():
        by_type.setdefault(received.event, []).append(received.body["resource"])
    sent = by_type["communication.sent"][0]
    with session_scope() as session:
        welcome = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template_key == "welcome")
        ).one()
        assert sent["payload"][0]["contentString"] == welcome.body
    assert sent["subject"]["identifier"]["value"] == NHS
    assert sent["status"] == "in-progress"
    assert by_type["communication.updated"][0]["status"] == "completed"
    reply = by_type["communication.received"][0]
    assert reply["payload"][0]["contentString"] == "my legs keep giving way"
    assert reply["topic"]["coding"][0]["code"] == "red"
    assert reply["inResponseTo"][0]["reference"] == f"Communication/message-out-{welcome.id}"
    resolved = next(f for f in by_type["flag.updated"] if f["status"] == "inactive")
    assert resolved["id"] == f"alert-{alert_id}"
    outcome = {e["url"]: e for e in resolved["extension"][1]["extension"]}
    assert outcome["state"]["valueCode"] == "resolved"
    assert outcome["note"]["valueString"] == "MRI arranged: Seen in ED."


def test_a_callback_receiver_down_for_an_hour_loses_nothing(
    trust: int, receiver: CallbackReceiver, clock: Clock
) -> None:
    a_whole_story(enrol_patient(NHS))
    keys = [c.idempotency_key for c in callbacks()]
    receiver.refuse()
    for _ in range(60):  # an hour, a minute at a time: beat's ticks, simulated
        assert deliver(clock) == 0
        clock.advance(minutes=1)
    during = callbacks()
    assert {c.state for c in during} == {CallbackState.PENDING}
    head, *rest = during
    assert 5 <= head.attempts <= 9  # 30 s, 1, 2, 4, 8, 16, 32 minutes...
    assert all(c.attempts == 0 for c in rest)  # they wait behind it, in order
    receiver.up()
    for _ in range(90):
        deliver(clock)
        if {c.state for c in callbacks()} == {CallbackState.DELIVERED}:
            break
        clock.advance(minutes=1)
    assert {c.state for c in callbacks()} == {CallbackState.DELIVERED}
    assert list(receiver.accepted) == keys  # every one, once, in order
    assert receiver.duplicates == 0 and receiver.forged == 0


def test_after_a_day_of_failures_a_person_is_told_once_and_the_feed_still_has_it(
    trust: int, receiver: CallbackReceiver, clock: Clock
) -> None:
    enrol_patient(NHS)
    send_due()
    receiver.down(503, retry_after="120")
    for _ in range(26):
        deliver(clock)
        clock.advance(hours=1)
    (failed,) = callbacks()
    assert failed.state == CallbackState.FAILED and failed.last_status == 503
    assert failed.failed_at is not None
    assert failed.failed_at - failed.created_at >= timedelta(hours=24)
    with session_scope() as session:
        told = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template_key == "writeback_failed")
        ).all()
        assert [(m.to_address, m.channel, m.kind, m.context) for m in told] == [
            ("priya.shah@riverside.example.nhs.uk", "email", "integration", {"failed_callbacks": 1})
        ]
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "callback.failed"))


def test_a_missing_secret_sends_nothing_unsigned_and_keeps_trying(
    trust: int, receiver: CallbackReceiver, clock: Clock, env: Callable[..., None]
) -> None:
    env(RXX_CALLBACK_SECRET="too-short")
    enrol_patient(NHS)
    send_due()
    assert deliver(clock) == 0
    (pending,) = callbacks()
    assert pending.state == CallbackState.PENDING and "secret" in (pending.last_error or "")
    assert receiver.attempts == 0


def test_the_feed_gives_the_same_bodies_to_an_engine_that_pulls(
    trust: int, receiver: CallbackReceiver, clock: Clock
) -> None:
    a_whole_story(enrol_patient(NHS))
    deliver(clock)
    with session_scope() as session:
        rxx = session.scalars(select(Trust)).one()
        token = tokens.issue(session, rxx, "EPR", actor=audit.CLI, now=utcnow())[1]
    with TestClient(create_app(), base_url=LOCAL) as client:
        first = client.get("/api/v1/fhir/feed?limit=4", headers=bearer(token)).json()
        rest = client.get(
            f"/api/v1/fhir/feed?after={first['next_after']}", headers=bearer(token)
        ).json()
        empty = client.get(
            f"/api/v1/fhir/feed?after={rest['next_after']}", headers=bearer(token)
        ).json()
    entries = first["entries"] + rest["entries"]
    assert len(first["entries"]) == 4 and len(entries) == len(receiver.accepted)
    assert empty == {"entries": [], "next_after": rest["next_after"]}
    for entry in entries:
        pushed = receiver.accepted[entry["id"]].body
        assert {k: entry[k] for k in pushed} == pushed
        assert entry["delivery"] == "delivered"


def test_a_trust_that_pulls_gets_rows_for_the_feed_and_no_callbacks(
    database_url: str, env: Callable[..., None], clock: Clock
) -> None:
    load(trust_yaml(pull_only=True))
    enrol_patient(NHS)
    send_due()
    assert deliver(clock) == 0
    (row,) = callbacks()
    assert row.state == CallbackState.PULL_ONLY and row.attempts == 0


def test_a_trust_without_write_back_gets_none(database_url: str, env: Callable[..., None]) -> None:
    load(trust_yaml())
    enrol_patient(NHS)
    send_due()
    assert callbacks() == []


def test_the_feed_body_is_the_signed_callback_body_exactly(
    trust: int, receiver: CallbackReceiver, clock: Clock
) -> None:
    enrol_patient(NHS)
    send_due()
    deliver(clock)
    (row,) = callbacks()
    (received,) = receiver.accepted.values()
    body = body_of(row, trust_code="RXX", base_url="https://safetynet.nhs-test.example")
    assert json.loads(body) == received.body
