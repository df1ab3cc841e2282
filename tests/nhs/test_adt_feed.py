"""The trust's ADT feed end to end: a fake MLLP sender on 127.0.0.1, the listener with its real
handler, the pathway, the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from schema.db import session_scope
from schema.models import (
    Alert,
    InboundMessage,
    IntegrationMessage,
    MessageState,
    NoticeKind,
    OutboundMessage,
    Patient,
    PatientNotice,
    PatientStatus,
    Trust,
)
from schema.types import utcnow
from testing.adt_messages import adt
from testing.mllp_sender import MllpSender, ack_fields, err_segments
from testing.nhs_numbers import fake_nhs_number
from tests.conftest import ROOT
from tests.nhs.conftest import (
    enrol_patient,
    listening,
    load,
    messages_of,
    row_counts,
    sender,
    trust_yaml,
)
from tests.web.conftest import red_alert, reply
from web.dashboard.timeline import patient_timeline
from worker import hl7_listener
from worker.mllp import MllpServer

pytestmark = pytest.mark.timeout(60)

NHS = "9434765919"
OTHER = fake_nhs_number(40)


@pytest.fixture
def feed(database_url: str) -> Iterator[MllpServer]:
    load(trust_yaml())
    with listening() as server:
        yield server


def send(server: MllpServer, message: str) -> str:
    with sender(server) as client:
        return client.send(message)


def msa(ack: str) -> list[str]:
    return ack_fields(ack)["MSA"][1:4]


def the_patient(nhs_number: str = NHS) -> Patient:
    with session_scope() as session:
        found = session.scalars(select(Patient).where(Patient.nhs_number == nhs_number)).one()
        session.expunge(found)
        return found


def stored() -> list[tuple[str, str, str | None]]:
    with session_scope() as session:
        return [
            (m.message_id, m.status, m.outcome)
            for m in session.scalars(select(IntegrationMessage).order_by(IntegrationMessage.id))
        ]


def test_an_a01_then_an_a03_enrols_and_discharges_and_a_repeat_changes_nothing(
    feed: MllpServer,
) -> None:
    first = send(feed, adt("A01", control_id="ADM1"))
    assert msa(first)[:2] == ["AA", "ADM1"]
    enrolled = the_patient()
    assert (enrolled.status, enrolled.cohort) == (PatientStatus.ACTIVE, "spinal_mets")
    assert (enrolled.given_name, enrolled.family_name) == ("ANN", "EXAMPLE")
    assert enrolled.phone_e164 == "+447700900123" and enrolled.email == "ann@example.com"
    planned = messages_of(enrolled.id)
    assert planned and all(m.state == MessageState.SCHEDULED for m in planned)
    after_first = row_counts()

    again = send(feed, adt("A01", control_id="ADM1"))
    assert again == first  # the stored ACK, byte for byte
    assert row_counts() == after_first

    discharge = send(feed, adt("A03", control_id="DIS1"))
    assert msa(discharge)[:2] == ["AA", "DIS1"]
    assert the_patient().status == PatientStatus.DISCHARGED
    assert {m.state for m in messages_of(enrolled.id)} == {MessageState.CANCELLED}
    after_discharge = row_counts()
    assert send(feed, adt("A03", control_id="DIS1")) == discharge
    assert row_counts() == after_discharge
    assert stored() == [("ADM1", "applied", "enrolled"), ("DIS1", "applied", "discharged")]


def test_a_malformed_segment_gets_ae_naming_the_field_and_writes_nothing(
    feed: MllpServer,
) -> None:
    before = row_counts()
    with sender(feed) as client:
        bad = client.send(adt(pid3="RX123456^^^RXX^MR", control_id="BAD1"))
        no_mobile = client.send(adt(telecom="01134960000^PRN^PH", control_id="BAD2"))
        bad_date = client.send(adt(date_of_birth="1950-01-01", control_id="BAD3"))
    assert msa(bad)[:2] == ["AE", "BAD1"]
    assert err_segments(bad)[0][8].startswith("PID-3: no NHS number")
    assert msa(no_mobile)[0] == "AE"
    assert "PID-13: no mobile number, needed to enrol" in no_mobile
    assert msa(bad_date)[0] == "AE" and "PID-7: not a date of birth" in bad_date
    assert row_counts() == before


def test_an_a40_merge_keeps_one_timeline(feed: MllpServer) -> None:
    send(feed, adt("A01", control_id="M1"))
    send(feed, adt("A01", control_id="M2", nhs_number=OTHER, telecom="07700900124^PRN^CP"))
    survivor, merged = the_patient(NHS), the_patient(OTHER)
    with session_scope() as session:
        trust = session.scalars(select(Trust)).one()
        merged_row = session.get(Patient, merged.id)
        assert merged_row is not None
        said = reply(session, trust, merged_row, "feeling fine", "none")
        alert_id = red_alert(session, trust, merged_row, "my legs are weak")
        said_id = said.id
    ack = send(
        feed,
        adt("A40", control_id="MRG1", mrg=f"MRG|{OTHER}^^^NHS^NH", pv1=None),
    )
    assert msa(ack)[:2] == ["AA", "MRG1"]
    with session_scope() as session:
        gone = session.get(Patient, merged.id)
        kept = session.get(Patient, survivor.id)
        assert gone is not None and kept is not None
        assert gone.merged_into_id == survivor.id and gone.status == PatientStatus.DISCHARGED
        assert kept.status == PatientStatus.ACTIVE
        assert session.get(Alert, alert_id).patient_id == survivor.id  # type: ignore[union-attr]
        assert session.get(InboundMessage, said_id).patient_id == survivor.id  # type: ignore[union-attr]
        left = session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.patient_id == merged.id)
        ).all()
        assert left == []
        timeline = patient_timeline(session, kept, now=utcnow())
        kinds = [entry.kind for entry in timeline.entries]
        assert "reply" in kinds and "alert" in kinds
        bodies = [e.reply.body for e in timeline.entries if e.reply is not None]
        assert set(bodies) >= {"feeling fine", "my legs are weak"}
        notices = session.scalars(
            select(PatientNotice.kind).where(PatientNotice.patient_id == survivor.id)
        ).all()
        assert NoticeKind.RECORDS_MERGED in notices
    # The merged record's planned messages were cancelled, not moved on to be sent.
    moved = messages_of(survivor.id)
    assert any(m.state == MessageState.CANCELLED and m.error_message == "merged" for m in moved)
    assert send(feed, adt("A40", control_id="MRG1", mrg=f"MRG|{OTHER}^^^NHS^NH", pv1=None)) == ack


def test_an_a11_undoes_the_feeds_enrolment_but_not_a_coordinators(feed: MllpServer) -> None:
    send(feed, adt("A01", control_id="E1"))
    cancel = send(feed, adt("A11", control_id="C1"))
    assert msa(cancel)[0] == "AA"
    assert the_patient().status == PatientStatus.DISCHARGED
    by_hand = enrol_patient(OTHER, phone="07700 900125")
    untouched = send(feed, adt("A11", control_id="C2", nhs_number=OTHER))
    assert "not made by this feed" in msa(untouched)[2]
    assert the_patient(OTHER).id == by_hand and the_patient(OTHER).status == PatientStatus.ACTIVE


def test_an_a13_cancels_the_feeds_discharge_and_plans_again(feed: MllpServer) -> None:
    send(feed, adt("A01", control_id="E1"))
    send(feed, adt("A03", control_id="D1"))
    back = send(feed, adt("A13", control_id="U1"))
    assert msa(back)[0] == "AA"
    patient = the_patient()
    assert patient.status == PatientStatus.ACTIVE
    assert any(m.state == MessageState.SCHEDULED for m in messages_of(patient.id))


def test_a_discharge_from_another_clinic_leaves_the_patient_in_the_safety_net(
    feed: MllpServer,
) -> None:
    send(feed, adt("A01", control_id="E1"))
    elsewhere = "PV1|1|I|WARD-7^RXX-ORTHO^^RXX01||||C1^Bone^Bill|||110"
    ack = send(feed, adt("A03", control_id="D1", pv1=elsewhere))
    assert msa(ack)[0] == "AA" and "not discharged" in msa(ack)[2]
    assert the_patient().status == PatientStatus.ACTIVE


def test_an_a08_with_another_mobile_asks_a_coordinator_and_a_death_is_recorded(
    feed: MllpServer,
) -> None:
    send(feed, adt("A01", control_id="E1"))
    send(feed, adt("A08", control_id="U1", telecom="07700900999^PRN^CP"))
    patient = the_patient()
    assert patient.phone_e164 == "+447700900123"
    with session_scope() as session:
        notice = session.scalars(select(PatientNotice)).one()
        assert (notice.kind, notice.source) == (NoticeKind.MOBILE_DIFFERS, "hl7v2")
    died = send(feed, adt("A08", control_id="U2", pid_tail="|" * 17 + "Y"))
    assert msa(died)[0] == "AA"
    dead = the_patient()
    assert dead.deceased_at is not None
    assert {m.error_message for m in messages_of(dead.id)} == {"deceased"}


def test_a_restricted_patient_from_the_pas_is_enrolled_restricted(feed: MllpServer) -> None:
    send(feed, adt("A01", control_id="E1", pd1="PD1|||RIVERSIDE SURGERY^^Y06601" + "|" * 9 + "Y"))
    assert the_patient().restricted


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sending_facility": "RZZ"}, "MSH-4"),
        ({"processing": "T"}, "MSH-11"),
        ({"processing": "D"}, "MSH-11"),
    ],
)
def test_a_message_from_another_facility_or_not_for_production_is_refused_ar(
    feed: MllpServer, change: dict[str, str], field: str
) -> None:
    before = row_counts()
    message = adt("A01", control_id="X1", sending_facility=change.get("sending_facility", "RXX"))
    if "processing" in change:
        message = message.replace("|P|2.4", f"|{change['processing']}|2.4")
    ack = send(feed, message)
    assert msa(ack)[0] == "AR" and msa(ack)[2].startswith(field)
    assert row_counts() == before


def test_a_trust_may_apply_test_messages_in_a_test_environment(database_url: str) -> None:
    load(trust_yaml().replace("accept_test_messages: false", "accept_test_messages: true"))
    with listening() as server:
        ack = send(server, adt("A01", control_id="T1").replace("|P|2.4", "|T|2.4"))
    assert msa(ack)[0] == "AA"
    assert the_patient().status == PatientStatus.ACTIVE


def test_an_event_the_service_does_not_use_is_acknowledged_and_recorded(feed: MllpServer) -> None:
    ack = send(feed, adt("A02", control_id="T1"))
    assert msa(ack) == ["AA", "T1", "ADT A02 is not used by this service"]
    assert stored() == [("T1", "ignored", None)]
    with session_scope() as session:
        assert session.scalars(select(Patient)).all() == []


def test_a_message_whose_handling_fails_gets_no_ack_is_kept_and_applies_when_sent_again(
    feed: MllpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = hl7_listener.apply_event
    calls = {"n": 0}

    def failing_once(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hl7_listener, "apply_event", failing_once)
    with sender(feed) as client, pytest.raises(ConnectionError):
        client.send(adt("A01", control_id="F1"))
    assert stored() == [("F1", "failed", None)]
    with session_scope() as session:
        kept = session.scalars(select(IntegrationMessage)).one()
        assert kept.raw is not None and "PID|" in kept.raw and kept.error == "RuntimeError"
        assert session.scalars(select(Patient)).all() == []
    ack = send(feed, adt("A01", control_id="F1"))
    assert msa(ack)[:2] == ["AA", "F1"]
    assert stored() == [("F1", "applied", "enrolled")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_safetynet_hl7_listen_takes_a_feed_and_stops_on_sigterm(sqlite_url: str) -> None:
    load(trust_yaml())
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "hl7", "listen", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        announced = next(line for line in process.stdout if line.startswith("listening for"))
        assert f"RXX's ADT feed on 127.0.0.1:{port}" in announced
        deadline = time.monotonic() + 10
        while True:
            try:
                client = MllpSender("127.0.0.1", port)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with client:
            assert msa(client.send(adt("A01", control_id="CLI1")))[:2] == ["AA", "CLI1"]
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert the_patient().status == PatientStatus.ACTIVE


def test_a_merge_keeps_the_stricter_record_a_death_or_an_opt_out_on_either_holds(
    feed: MllpServer,
) -> None:
    send(feed, adt("A01", control_id="M1"))
    send(feed, adt("A01", control_id="M2", nhs_number=OTHER, telecom="07700900124^PRN^CP"))
    with session_scope() as session:
        merged = session.scalars(select(Patient).where(Patient.nhs_number == OTHER)).one()
        merged.opted_out_at = utcnow()
        merged.restricted = True
    send(feed, adt("A40", control_id="MRG1", mrg=f"MRG|{OTHER}^^^NHS^NH", pv1=None))
    survivor = the_patient(NHS)
    assert survivor.opted_out_at is not None and survivor.restricted
    assert not any(m.state == MessageState.SCHEDULED for m in messages_of(survivor.id))


def test_a_merge_into_a_discharged_record_keeps_the_person_in_the_safety_net(
    feed: MllpServer,
) -> None:
    send(feed, adt("A01", control_id="M1"))
    send(feed, adt("A03", control_id="D1"))
    send(feed, adt("A01", control_id="M2", nhs_number=OTHER, telecom="07700900124^PRN^CP"))
    send(feed, adt("A40", control_id="MRG1", mrg=f"MRG|{OTHER}^^^NHS^NH", pv1=None))
    survivor = the_patient(NHS)
    assert (survivor.status, survivor.cohort) == (PatientStatus.ACTIVE, "spinal_mets")
    assert any(m.state == MessageState.SCHEDULED for m in messages_of(survivor.id))


def test_a_merge_with_a_deceased_record_records_the_death_on_the_survivor(
    feed: MllpServer,
) -> None:
    send(feed, adt("A01", control_id="M1"))
    send(feed, adt("A01", control_id="M2", nhs_number=OTHER, telecom="07700900124^PRN^CP"))
    send(feed, adt("A08", control_id="U2", nhs_number=OTHER, pid_tail="|" * 17 + "Y"))
    send(feed, adt("A40", control_id="MRG1", mrg=f"MRG|{OTHER}^^^NHS^NH", pv1=None))
    survivor = the_patient(NHS)
    assert survivor.deceased_at is not None
    assert not any(m.state == MessageState.SCHEDULED for m in messages_of(survivor.id))
