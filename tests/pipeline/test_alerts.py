"""The safety net: a patient's reply, the alert it raises, acknowledgement and escalation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pathway import acknowledgement, alerts, audit, escalation, replies
from pathway import patient_status as patient_ops
from pathway.outcomes import OutcomeError, check_resolution
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.db import session_scope
from schema.models import (
    Alert,
    AlertNotification,
    AlertState,
    AuditEvent,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    StaffMember,
    Trust,
)
from schema.trusts import trust_config
from schema.types import utcnow
from testing.trusts import always_open_trust_yaml
from testing.twilio_signing import signed_headers
from tests.conftest import EXAMPLE_TRUST
from tests.pipeline.conftest import PUBLIC_BASE_URL, Service, wait_until
from worker import sending, tasks

pytestmark = pytest.mark.timeout(120)

TRUST_NUMBER = "+447700900000"
ASHA, BEN, DUTY = "+447700900101", "+447700900102", "+447700900103"
PATIENT = "+447700900300"


def post_sms(
    client: TestClient, service: Service, sender: str, body: str, sid: str | None = None
) -> int:
    params = {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "AccountSid": service.twilio.account_sid,
        "From": sender,
        "To": TRUST_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }
    headers = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, service.twilio.auth_token)
    response = client.post("/twilio/sms", data=params, headers=headers)
    if response.status_code == 200:
        assert response.headers["content-type"].startswith("text/xml")
        assert "<Response>" in response.text
    return response.status_code


def handle_replies(now: datetime | None = None) -> None:
    """What the alerts worker does with each stored reply (run here, synchronously)."""
    with session_scope() as session:
        pending = session.scalars(
            select(InboundMessage.id).where(InboundMessage.handled_at.is_(None))
        ).all()
    for inbound_id in pending:
        with session_scope() as session:
            replies.handle_inbound(session, inbound_id, now or utcnow())


def send_due() -> None:
    """Send every due message now, as the workers would."""
    with session_scope() as session:
        due = session.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.state == MessageState.SCHEDULED,
                OutboundMessage.due_at <= utcnow(),
            )
        ).all()
    for message_id in due:
        sending.send_message(message_id)


def escalate(at: datetime) -> None:
    with session_scope() as session:
        escalation.escalate_due(session, at)


def the_alert() -> Alert:
    with session_scope() as session:
        return session.scalars(select(Alert)).one()


def notified(kind: str | None = None) -> list[tuple[str, str, int, int]]:
    """(staff key, channel, step, round) for every alert notification so far."""
    with session_scope() as session:
        query = (
            select(
                StaffMember.key,
                OutboundMessage.channel,
                AlertNotification.step,
                AlertNotification.round,
            )
            .join(StaffMember, StaffMember.id == AlertNotification.staff_member_id)
            .join(OutboundMessage, OutboundMessage.id == AlertNotification.outbound_message_id)
            .order_by(AlertNotification.id)
        )
        if kind:
            query = query.where(AlertNotification.kind == kind)
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def templates_to(address: str) -> list[str]:
    with session_scope() as session:
        rows = session.execute(
            select(OutboundMessage.template_key, OutboundMessage.to_address).order_by(
                OutboundMessage.id
            )
        )
        return [key for key, to in rows if to == address]  # encrypted: compared once read


def count(model: type, *where: Any) -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_red_reply_tells_the_patient_and_the_coordinator_within_seconds(
    service: Service, client: TestClient, worker_thread: Any
) -> None:
    service.enrol(1, email=False)
    assert post_sms(client, service, PATIENT, "my legs keep giving way") == 200
    arrived = service.twilio.wait_for_messages(2, timeout=15)
    by_recipient = {m.to: m.body for m in arrived}
    assert "0113 496 0001" in by_recipient[PATIENT]  # call the 24-hour line now
    alert = the_alert()
    assert alert.level == "red" and alert.state == AlertState.OPEN
    assert alert.code in by_recipient[ASHA]
    wait_until(lambda: any("asha" in m["To"] for m in service.smtp.messages), timeout=15)
    email = next(m for m in service.smtp.messages if "asha" in m["To"])
    assert alert.code in str(email["Subject"]) + email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    with session_scope() as session:
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.label == "red" and "limb_weakness" in inbound.symptoms
        assert inbound.handled_at is not None


def test_ack_by_sms_stops_escalation_and_tells_the_others(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    start = utcnow()
    post_sms(client, service, PATIENT, "Can't feel my legs")
    handle_replies()
    alert = the_alert()
    escalate(start + timedelta(minutes=5, seconds=1))  # step 2: Ben
    assert {n[0] for n in notified()} == {"asha", "ben"}
    post_sms(client, service, BEN, f"ack {alert.code.lower()}")
    handle_replies()
    acknowledged = the_alert()
    assert acknowledged.state == AlertState.ACKNOWLEDGED
    with session_scope() as session:
        ben = session.scalars(select(StaffMember).where(StaffMember.key == "ben")).one()
    assert acknowledged.acknowledged_by_id == ben.id
    assert acknowledged.next_escalation_at is None
    before = len(notified("escalation"))
    escalate(start + timedelta(hours=3))
    assert len(notified("escalation")) == before
    assert templates_to(BEN)[-1] == "ack_confirmation"
    assert templates_to(ASHA)[-1] == "alert_taken"
    # A second acknowledgement is harmless.
    post_sms(client, service, ASHA, alert.code)
    handle_replies()
    assert the_alert().acknowledged_by_id == ben.id


def test_without_acknowledgement_the_alert_climbs_the_chain_then_repeats(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    start = utcnow()
    post_sms(client, service, PATIENT, "Dad's legs went from under him, he can't stand")
    handle_replies(start)
    assert {(k, s, r) for k, _, s, r in notified()} == {("asha", 0, 0)}
    escalate(start + timedelta(minutes=4, seconds=59))  # not yet
    assert {k for k, *_ in notified()} == {"asha"}
    escalate(start + timedelta(minutes=5, seconds=1))
    assert ("ben", "sms", 1, 0) in notified()
    escalate(start + timedelta(minutes=10, seconds=2))
    assert ("duty_consultant", "sms", 2, 0) in notified()
    escalate(start + timedelta(minutes=19))  # step 3 waits 10 minutes
    assert max(r for *_, r in notified()) == 0
    escalate(start + timedelta(minutes=20, seconds=3))  # past the last step: everyone, round 1
    round_one = {k for k, _, _, r in notified() if r == 1}
    assert round_one == {"asha", "ben", "duty_consultant"}
    escalate(start + timedelta(minutes=30, seconds=4))  # and again at the repeat interval
    assert {k for k, _, _, r in notified() if r == 2} == round_one
    assert count(AuditEvent, AuditEvent.action == "alert.escalated") == 4


def test_a_notification_that_fails_moves_the_alert_to_the_next_step_at_once(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    service.twilio.fail_when(lambda to: to == ASHA, status=400, code=21211)
    post_sms(client, service, PATIENT, "pins and needles in both legs and numb feet")
    handle_replies()
    send_due()
    assert ("ben", "sms", 1, 0) in notified()
    assert the_alert().current_step == 1


def test_nobody_reachable_on_the_chain_is_recorded_as_the_most_serious_state(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    service.twilio.fail_when(lambda to: True, status=400, code=21211)
    service.smtp.refuse_recipients()
    post_sms(client, service, PATIENT, "I can't walk")
    handle_replies()
    for _ in range(4):
        send_due()
    alert = the_alert()
    assert alert.nobody_reachable_at is not None
    assert count(AuditEvent, AuditEvent.action == "alert.nobody_reachable") == 1


def test_a_forged_or_unsigned_reply_is_refused_and_stores_nothing(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    params = {
        "MessageSid": "SM" + "a" * 32,
        "From": PATIENT,
        "To": TRUST_NUMBER,
        "Body": "can't feel my legs",
    }
    forged = signed_headers(PUBLIC_BASE_URL + "/twilio/sms", params, "wrong-token")
    assert client.post("/twilio/sms", data=params, headers=forged).status_code == 403
    plain = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/twilio/sms", data=params, headers=plain).status_code == 403
    assert count(InboundMessage) == 0 and count(Alert) == 0


def test_the_same_message_sid_twice_makes_one_alert(service: Service, client: TestClient) -> None:
    service.enrol(1)
    sid = "SM" + "b" * 32
    assert post_sms(client, service, PATIENT, "legs gone to jelly", sid=sid) == 200
    assert post_sms(client, service, PATIENT, "legs gone to jelly", sid=sid) == 200
    handle_replies()
    assert count(InboundMessage) == 1 and count(Alert) == 1


def test_a_reply_longer_than_1600_characters_is_refused_whole(
    service: Service, client: TestClient
) -> None:
    assert post_sms(client, service, PATIENT, "x" * 1601) == 413
    assert post_sms(client, service, PATIENT, "ł" * 1600) == 200
    assert count(InboundMessage) == 1


def test_stop_opts_out_cancels_everything_and_confirms_once(
    service: Service, client: TestClient
) -> None:
    (patient_id,) = service.enrol(1, cohort="spinal_mets")
    post_sms(client, service, PATIENT, " Stop! ")
    handle_replies()
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.opted_out_at is not None
        states = set(
            session.scalars(
                select(OutboundMessage.state).where(
                    OutboundMessage.patient_id == patient_id,
                    OutboundMessage.template_key == "checkin",
                )
            )
        )
    assert states == {MessageState.CANCELLED}
    assert templates_to(PATIENT).count("stop_confirmation") == 1
    send_due()
    sent_to_patient = [m.body for m in service.twilio.messages if m.to == PATIENT]
    assert len(sent_to_patient) == 1  # the confirmation, nothing else


def test_a_stop_look_alike_is_not_an_opt_out(service: Service, client: TestClient) -> None:
    (patient_id,) = service.enrol(1)
    post_sms(client, service, PATIENT, "Stop texting me at 7am, it wakes me up")
    handle_replies()
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        inbound = session.scalars(select(InboundMessage)).one()
        assert patient is not None and patient.opted_out_at is None
        assert inbound.label == "unclear" and inbound.review_state == "open"
    assert templates_to(PATIENT)[-1] == "unclear_ack"


def test_start_opts_back_in_and_plans_messages_again(service: Service, client: TestClient) -> None:
    (patient_id,) = service.enrol(1, cohort="spinal_mets")
    post_sms(client, service, PATIENT, "STOP")
    handle_replies()
    post_sms(client, service, PATIENT, "start")
    handle_replies()
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None and patient.opted_out_at is None
        planned = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.patient_id == patient_id,
                OutboundMessage.state == MessageState.SCHEDULED,
                OutboundMessage.template_key == "checkin",
            )
        )
    assert planned and planned > 0
    assert "start_confirmation" in templates_to(PATIENT)


def test_help_sends_the_help_text_with_the_numbers(service: Service, client: TestClient) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "HELP")
    handle_replies()
    send_due()
    help_text = [m.body for m in service.twilio.messages if m.to == PATIENT][-1]
    assert "0113 496 0001" in help_text


def test_an_unknown_numbers_red_reply_raises_an_unknown_sender_alert_and_one_reply_a_day_else(
    service: Service, client: TestClient
) -> None:
    stranger = "+447700900999"
    post_sms(client, service, stranger, "can't feel my legs")
    post_sms(client, service, stranger, "hello??")
    post_sms(client, service, stranger, "hello again??")
    handle_replies()
    # The red's urgent advice goes whatever else; besides it, one reply a day.
    assert sorted(templates_to(stranger)) == ["unclear_ack", "urgent_advice"]
    alert = the_alert()
    assert alert.patient_id is None and alert.sender_e164 == stranger
    assert ("asha", "sms", 0, 0) in notified()
    with session_scope() as session:
        kinds = set(session.scalars(select(InboundMessage.sender_kind)))
    assert kinds == {"unknown"}


def test_a_red_reply_from_an_opted_out_patient_still_alerts_the_coordinator(
    service: Service, client: TestClient
) -> None:
    (patient_id,) = service.enrol(1)
    with session_scope() as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        patient_ops.opt_out(session, patient, now=utcnow(), actor=audit.CLI, via="test")
    post_sms(client, service, PATIENT, "I've wet myself and can't feel it")
    handle_replies()
    assert the_alert().level == "red"
    assert ("asha", "sms", 0, 0) in notified()
    assert templates_to(PATIENT) == ["welcome"]  # planned before the opt-out; no advice since


def test_amber_raises_a_slower_alert_and_same_day_advice(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    start = utcnow()
    post_sms(client, service, PATIENT, "pain between my shoulder blades since friday")
    handle_replies(start)
    alert = the_alert()
    assert alert.level == "amber"
    assert alert.next_escalation_at is not None
    assert alert.next_escalation_at - start == timedelta(minutes=60)
    assert templates_to(PATIENT)[-1] == "same_day_advice"


def test_a_red_reply_on_an_open_amber_alert_makes_it_red(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "back pain keeps waking me up")
    handle_replies()
    post_sms(client, service, PATIENT, "and now my legs feel numb")
    handle_replies()
    alert = the_alert()
    assert alert.level == "red" and alert.chain["level"] == "red"
    assert count(InboundMessage, InboundMessage.alert_id == alert.id) == 2


def test_another_red_reply_renotifies_the_current_contacts(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "legs giving way")
    handle_replies()
    post_sms(client, service, PATIENT, "fell again, legs just went")
    handle_replies()
    assert count(Alert) == 1
    assert [k for k, *_ in notified("renotify")] == ["asha", "asha"]  # SMS and email


def test_an_unclear_reply_waits_for_review_and_the_patient_is_acknowledged(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "Is my scan still on Tuesday?")
    handle_replies()
    with session_scope() as session:
        inbound = session.scalars(select(InboundMessage)).one()
    assert inbound.review_state == "open"
    assert count(Alert) == 0
    assert templates_to(PATIENT)[-1] == "unclear_ack"


def test_resolving_records_the_outcome_and_acknowledges_an_open_alert_first(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "can't wee since last night")
    handle_replies()
    now = utcnow()
    with session_scope() as session:
        alert = session.scalars(select(Alert)).one()
        asha = session.scalars(select(StaffMember).where(StaffMember.key == "asha")).one()
        config = trust_config(session.get(Trust, alert.trust_id))  # type: ignore[arg-type]
        with pytest.raises(OutcomeError, match="outcome: choose what happened"):
            check_resolution(config, outcome="cured", reply_at=alert.raised_at, now=now)
        resolution = check_resolution(
            config, outcome="admitted", note=" Admitted for MRI ", reply_at=alert.raised_at, now=now
        )
        assert acknowledgement.resolve(session, alert, asha, resolution, now=now)
    resolved = the_alert()
    assert resolved.state == AlertState.RESOLVED and resolved.outcome_note == "Admitted for MRI"
    assert resolved.outcome == "admitted" and resolved.acknowledged_at == now
    assert resolved.next_escalation_at is None
    with session_scope() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "alert", AuditEvent.subject_id == resolved.id)
            .order_by(AuditEvent.id)
        ).all()
    assert actions.index("alert.acknowledged") < actions.index("alert.resolved")


def test_an_acknowledged_alert_not_resolved_reminds_whoever_took_it(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    start = utcnow()
    post_sms(client, service, PATIENT, "numb down below")
    handle_replies(start)
    post_sms(client, service, ASHA, f"ACK {the_alert().code}")
    handle_replies(start)
    escalate(start + timedelta(hours=3, minutes=59))
    assert notified("reminder") == []
    escalate(start + timedelta(hours=4, minutes=1))
    assert {k for k, *_ in notified("reminder")} == {"asha"}


def test_a_configuration_change_does_not_alter_an_escalation_already_running(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    start = utcnow()
    post_sms(client, service, PATIENT, "legs like lead, can't lift them")
    handle_replies(start)
    text = always_open_trust_yaml(
        EXAMPLE_TRUST.read_text().replace(
            "      - notify: [ben]\n        minutes: 5",
            "      - notify: [duty_consultant]\n        minutes: 5",
        )
    )
    with session_scope() as session:
        load_trust(
            session,
            config_from_text(text),
            actor=audit.CLI,
            now=utcnow(),
        )
    escalate(start + timedelta(minutes=5, seconds=1))
    assert ("ben", "sms", 1, 0) in notified()


def test_every_step_writes_an_audit_event(service: Service, client: TestClient) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "cant feel ma legs")
    handle_replies()
    post_sms(client, service, ASHA, "ack")
    handle_replies()
    with session_scope() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {
        "inbound.received",
        "inbound.triaged",
        "alert.raised",
        "alert.notified",
        "alert.acknowledged",
    } <= actions


def test_an_ack_that_matches_no_alert_is_answered_and_escalation_goes_on(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "my legs have gone weak")
    handle_replies()
    post_sms(client, service, ASHA, "ACK QQQQ")
    handle_replies()
    assert the_alert().state == AlertState.OPEN
    assert templates_to(ASHA)[-1] == "ack_not_understood"
    send_due()
    answer = [m.body for m in service.twilio.messages if m.to == ASHA][-1]
    assert "QQQQ" in answer and "Escalation continues" in answer


def test_a_staff_message_that_is_not_an_ack_changes_nothing(
    service: Service, client: TestClient
) -> None:
    service.enrol(1)
    post_sms(client, service, PATIENT, "numb feet and I keep falling")
    handle_replies()
    post_sms(client, service, ASHA, "on my way in, will call her from the car")
    handle_replies()
    assert the_alert().state == AlertState.OPEN
    with session_scope() as session:
        kinds = list(
            session.scalars(select(InboundMessage.sender_kind).order_by(InboundMessage.id))
        )
    assert kinds == ["patient", "staff"]


def test_a_reply_whose_handling_fails_goes_to_a_person_and_is_retried(
    service: Service, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    (patient_id,) = service.enrol(1)
    post_sms(client, service, PATIENT, "my legs have gone numb")
    with session_scope() as session:
        inbound_id = session.scalars(select(InboundMessage.id)).one()

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(alerts, "try_raise_alert", broken)
    with pytest.raises(RuntimeError):
        tasks.handle_inbound(inbound_id)
    with session_scope() as session:
        inbound = session.get(InboundMessage, inbound_id)
        assert inbound is not None
        assert inbound.review_state == "open"  # on the review list of the patient's trust
        assert inbound.trust_id == service.trust_id and inbound.patient_id == patient_id
        assert inbound.handled_at is None  # so the sweep hands it to a worker again
    monkeypatch.undo()
    tasks.handle_inbound(inbound_id)
    assert the_alert().level == "red"
