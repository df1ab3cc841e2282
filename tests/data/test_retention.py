"""Retention on a simulated clock (issue 17 item 1, H22): the purge blanks exactly what is due,
and nothing else; the history stays; it is audited and idempotent; beat runs it once a night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app
from pathway import audit, retention
from pathway import patient_status as patient_ops
from pathway.enrolment import enrol, parse_patient
from pathway.intake import store_inbound
from pathway.replies import handle_inbound
from schema.db import session_scope
from schema.models import (
    Alert,
    AuditEvent,
    Base,
    Callback,
    CallbackState,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    PatientContact,
    Trust,
)
from schema.trusts import trust_config
from schema.types import utcnow
from schema.vocabulary import ContactKind

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # the purge; the example trust's periods:
# message bodies 30 days, replies 90, contact details 30, triage evidence 90
DAY = timedelta(days=1)
SID = iter(f"SM{i:032d}" for i in range(1000))


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(T0 - 200 * DAY, tick=False) as traveller:
        yield traveller


def at(clock: Any, moment: datetime) -> datetime:
    clock.move_to(moment)
    return utcnow()


def enrol_one(session: Session, nhs: str, phone: str, now: datetime) -> Patient:
    trust = session.scalars(select(Trust)).one()
    config = trust_config(trust)
    row = {
        "nhs_number": nhs,
        "given_name": "Ann",
        "family_name": "Example",
        "phone": phone,
        "email": f"{nhs}@example.com",
        "cohort": "welcome_only",
    }
    return enrol(session, trust, config, parse_patient(row, config), actor=audit.CLI, now=now)


def sent(session: Session, patient: Patient, when: datetime, state: MessageState) -> int:
    """The patient's welcome SMS, as sent at `when` with its rendered body."""
    message = session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.patient_id == patient.id, OutboundMessage.channel == "sms"
        )
    ).one()
    message.state, message.sent_at, message.state_changed_at = state, when, when
    message.body = "Hello Ann, this is your hospital team."
    message.context = {"alert": {"reply_excerpt": "quoted"}}
    return int(message.id)


def reply(session: Session, phone: str, body: str, now: datetime) -> int:
    inbound_id = store_inbound(
        session, sid=next(SID), sender=phone, to="+447700900000", body=body, now=now
    )
    assert inbound_id is not None
    handle_inbound(session, inbound_id, now)
    return inbound_id


def snapshot() -> dict[tuple[str, int], dict[str, Any]]:
    tables = ("patients", "outbound_messages", "inbound_messages", "alerts", "callbacks")
    found = {}
    with session_scope() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in tables and table.name != "audit_events":
                continue
            for row in session.execute(select(table)).mappings():
                found[(table.name, row["id"])] = dict(row)
    return found


def changes(
    before: dict[tuple[str, int], dict[str, Any]], after: dict[tuple[str, int], dict[str, Any]]
) -> set[tuple[str, int, str]]:
    changed = set()
    for key, row in after.items():
        old = before.get(key)
        if old is None:
            changed.add((key[0], key[1], "(new row)"))
            continue
        changed |= {(key[0], key[1], c) for c, value in row.items() if old[c] != value}
    return changed


@pytest.fixture
def world(trust: int, clock: Any) -> dict[str, int]:
    """Patients and replies either side of each period, and replies a person must still see."""
    ids: dict[str, int] = {}
    with session_scope() as session:
        now = at(clock, T0 - 120 * DAY)
        active = enrol_one(session, "9434765919", "07700 900123", now)
        left_long_ago = enrol_one(session, "9434765870", "07700 900124", now)
        left_lately = enrol_one(session, "4010232137", "07700 900125", now)
        left_with_alert = enrol_one(session, "5990128088", "07700 900126", now)
        ids.update(active=active.id, left_long_ago=left_long_ago.id, left_lately=left_lately.id)
        ids["left_with_alert"] = left_with_alert.id
        ids["old_sms"] = sent(session, active, T0 - 40 * DAY, MessageState.DELIVERED)
        ids["recent_sms"] = sent(session, left_lately, T0 - 10 * DAY, MessageState.DELIVERED)
        session.flush()

        now = at(clock, T0 - 100 * DAY)
        ids["old_reply"] = reply(session, "+447700900123", "I'm fine thanks", now)
        ids["open_review"] = reply(session, "+447700900124", "what time is my appointment", now)
        ids["open_alert"] = reply(session, "+447700900126", "my legs keep giving way", now)
        now = at(clock, T0 - 40 * DAY)
        ids["mid_reply"] = reply(session, "+447700900123", "all good, thank you", now)
        patient_ops.discharge(session, left_long_ago, now=now, actor=audit.CLI)
        patient_ops.discharge(session, left_with_alert, now=now, actor=audit.CLI)
        now = at(clock, T0 - 10 * DAY)
        patient_ops.discharge(session, left_lately, now=now, actor=audit.CLI)
    at(clock, T0)
    return ids


def cancelled_40_days_ago(world: dict[str, int]) -> tuple[int, ...]:
    """The welcomes cancelled by the discharges 40 days ago: settled, and holding an address."""
    with session_scope() as session:
        return tuple(
            session.scalars(
                select(OutboundMessage.id)
                .where(
                    OutboundMessage.state == MessageState.CANCELLED,
                    OutboundMessage.patient_id.in_(
                        [world["left_long_ago"], world["left_with_alert"]]
                    ),
                )
                .order_by(OutboundMessage.id)
            )
        )


def purge_now() -> list[retention.Due]:
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        return retention.purge(session, trust, trust_config(trust), now=utcnow(), actor=audit.CLI)


def due_now() -> dict[tuple[str, str], tuple[int, ...]]:
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        found = retention.due(session, trust, trust_config(trust), now=utcnow())
        return {(item.kind, item.table): item.ids for item in found if item.ids}


def test_the_purge_blanks_exactly_what_is_due_and_nothing_else(world: dict[str, int]) -> None:
    old_reply, mid_reply = world["old_reply"], world["mid_reply"]
    settled = (world["old_sms"], *cancelled_40_days_ago(world))
    expected_due = {
        ("message_bodies", "outbound_messages"): settled,
        ("reply_bodies", "inbound_messages"): (old_reply,),
        ("triage_evidence", "inbound_messages"): (old_reply,),
        ("contact_details", "outbound_messages"): settled,
        ("contact_details", "inbound_messages"): (old_reply, mid_reply),
        ("contact_details", "patients"): (world["left_long_ago"],),
    }
    assert due_now() == expected_due
    before = snapshot()
    purge_now()
    after = snapshot()
    audit_rows = {key for key in after if key[0] == "audit_events" and key not in before}
    assert len(audit_rows) == 1
    blanked = changes(before, after) - {(t, i, "(new row)") for t, i in audit_rows}
    sms, patient = world["old_sms"], world["left_long_ago"]
    cancelled = {
        ("outbound_messages", i, column)
        for i in cancelled_40_days_ago(world)
        for column in ("content_purged_at", "to_address")
    }
    assert blanked - cancelled == {
        ("outbound_messages", sms, "body"),
        ("outbound_messages", sms, "context"),
        ("outbound_messages", sms, "content_purged_at"),
        ("outbound_messages", sms, "to_address"),
        ("inbound_messages", old_reply, "body"),
        ("inbound_messages", old_reply, "body_purged_at"),
        ("inbound_messages", old_reply, "evidence"),
        ("inbound_messages", old_reply, "evidence_purged_at"),
        ("inbound_messages", old_reply, "from_address"),
        ("inbound_messages", old_reply, "from_hmac"),  # a blanked number finds nobody
        ("inbound_messages", mid_reply, "from_address"),
        ("inbound_messages", mid_reply, "from_hmac"),
        ("patients", patient, "phone_e164"),
        ("patients", patient, "phone_hmac"),
        ("patients", patient, "email"),
        ("patients", patient, "contacts_purged_at"),
    }
    message = after[("outbound_messages", sms)]
    assert (message["body"], message["context"], message["to_address"]) == (None, {}, "")
    assert message["state"] == MessageState.DELIVERED and message["sent_at"] is not None
    kept = after[("inbound_messages", old_reply)]
    assert (kept["body"], kept["evidence"], kept["from_address"]) == ("", {}, "")
    assert kept["label"] == before[("inbound_messages", old_reply)]["label"]  # the history stays
    assert kept["received_at"] == before[("inbound_messages", old_reply)]["received_at"]
    assert after[("patients", patient)]["phone_e164"] == ""
    assert after[("patients", patient)]["nhs_number"] == "9434765870"


def test_a_reply_a_person_must_still_act_on_is_never_blanked(world: dict[str, int]) -> None:
    purge_now()
    with session_scope() as session:
        review = session.get(InboundMessage, world["open_review"])
        alerted = session.get(InboundMessage, world["open_alert"])
        patient = session.get(Patient, world["left_with_alert"])
        assert review is not None and alerted is not None and patient is not None
        assert (
            review.body == "what time is my appointment" and review.from_address == "+447700900124"
        )
        assert alerted.body == "my legs keep giving way" and alerted.evidence
        assert patient.phone_e164 == "+447700900126"  # an alert not resolved keeps the number
        assert session.scalars(select(Alert)).one().state == "open"


def test_the_purge_is_audited_with_counts_and_a_second_run_changes_nothing(
    world: dict[str, int],
) -> None:
    purge_now()
    settled = 1 + len(cancelled_40_days_ago(world))  # the old SMS, the cancelled welcomes
    before = snapshot()
    again = purge_now()
    assert all(item.ids == () for item in again)
    assert snapshot() == before  # no change, and no second audit event
    with session_scope() as session:
        (event,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == retention.AUDIT_ACTION)
        )
        assert event.details["counts"] == {
            "message_bodies.outbound_messages": settled,
            "reply_bodies.inbound_messages": 1,
            "triage_evidence.inbound_messages": 1,
            "contact_details.outbound_messages": settled,
            "contact_details.inbound_messages": 2,
            "contact_details.patients": 1,
        }
        assert "I'm fine" not in str(event.details)


def test_a_kind_without_a_period_is_kept(world: dict[str, int]) -> None:
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        config = trust_config(trust)
        kept = config.model_copy(
            update={"retention": config.retention.model_copy(update={"reply_bodies": None})}
        )
        found = retention.due(session, trust, kept, now=utcnow())
    assert "reply_bodies" not in {item.kind for item in found}


def test_beat_purges_each_trust_once_a_night_after_two_in_the_morning(
    world: dict[str, int], clock: Any
) -> None:
    def tick(moment: datetime) -> dict[str, int]:
        now = at(clock, moment)
        with session_scope() as session:
            return retention.purge_tonight(session, now=now)

    assert tick(datetime(2027, 3, 1, 1, 30, tzinfo=UTC)) == {}  # 01:30 in London (GMT)
    settled = 1 + len(cancelled_40_days_ago(world))
    assert tick(datetime(2027, 3, 1, 2, 5, tzinfo=UTC)) == {"RXX": 2 * settled + 5}
    assert tick(datetime(2027, 3, 1, 3, 5, tzinfo=UTC)) == {}  # done tonight
    assert tick(datetime(2027, 3, 2, 2, 5, tzinfo=UTC)) == {"RXX": 0}  # the next night


def a_callback(session: Session, key: str, state: CallbackState, event: str, when: datetime) -> int:
    trust = session.scalars(select(Trust)).one()
    row = Callback(
        trust_id=trust.id,
        event_type=event,
        idempotency_key=key,
        resource_type="Communication",
        record={"message_id": key, "text": "my legs keep giving way", "reply_label": "red"},
        state=state,
        created_at=when,
    )
    session.add(row)
    session.flush()
    return int(row.id)


def test_write_back_copies_lose_their_text_once_sent_and_due_and_keep_the_rest(
    trust: int, clock: Any
) -> None:
    with session_scope() as session:
        old = T0 - 100 * DAY
        delivered = a_callback(
            session, "in-1", CallbackState.DELIVERED, "communication.received", old
        )
        pending = a_callback(session, "in-2", CallbackState.PENDING, "communication.received", old)
        recent = a_callback(session, "in-3", CallbackState.DELIVERED, "communication.received", T0)
        sent = a_callback(session, "out-4", CallbackState.PULL_ONLY, "communication.sent", old)
    at(clock, T0)
    assert due_now() == {
        ("message_bodies", "callbacks"): (sent,),
        ("reply_bodies", "callbacks"): (delivered,),
    }
    purge_now()
    with session_scope() as session:
        texts = {
            row.id: row.record for row in session.scalars(select(Callback).order_by(Callback.id))
        }
    assert texts[delivered] == {"message_id": "in-1", "text": "", "reply_label": "red"}
    assert texts[sent]["text"] == ""
    assert texts[pending]["text"] == texts[recent]["text"] == "my legs keep giving way"


def test_the_cli_shows_what_is_due_lists_it_in_a_dry_run_and_purges(
    world: dict[str, int],
) -> None:
    runner = CliRunner()
    status = runner.invoke(app, ["retention", "status"])
    assert status.exit_code == 0, status.output
    assert "contact_details" in status.output and "patients" in status.output
    before = snapshot()
    dry = runner.invoke(app, ["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert str(world["old_reply"]) in dry.output
    assert snapshot() == before  # a dry run changes nothing
    done = runner.invoke(app, ["retention", "purge"])
    assert done.exit_code == 0 and "rows blanked" in done.output
    assert due_now() == {}


def test_a_carers_number_goes_with_the_patients_own_and_no_sooner(world: dict[str, int]) -> None:
    with session_scope() as session:
        for key, number in (("left_long_ago", "+447700900771"), ("left_lately", "+447700900772")):
            patient = session.get(Patient, world[key])
            assert patient is not None
            session.add(
                PatientContact(
                    trust_id=patient.trust_id,
                    patient_id=patient.id,
                    number_e164=number,
                    kind=ContactKind.CARER,
                    created_by="test",
                )
            )
    purge_now()
    with session_scope() as session:
        kept = session.scalars(select(PatientContact.number_e164)).all()
    assert kept == ["+447700900772"]  # discharged 10 days ago: within the period
