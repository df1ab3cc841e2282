"""The ACK: MSA-1 AA / AE / AR, MSA-2 the control id, an ERR segment naming each field."""

from __future__ import annotations

from datetime import UTC, datetime

import hl7
import pytest

from messages.hl7v2 import (
    AckCode,
    Hl7ValidationError,
    UnhandledEvent,
    ack_for_error,
    build_ack,
    parse_adt,
)
from testing.adt_messages import adt
from testing.mllp_sender import ack_fields, err_segments

NOW = datetime(2026, 12, 1, 10, 15, 30, tzinfo=UTC)


def test_an_aa_answers_the_sender_with_its_control_id_and_trigger() -> None:
    event = parse_adt(adt("A01", control_id="CTRL-42"))
    ack = build_ack(event.header, AckCode.AA, now=NOW, ack_control_id="ACK1")
    fields = ack_fields(ack)
    assert fields["MSH"][2:6] == ["SAFETYNET", "RXX", "PAS", "RXX"]
    assert fields["MSH"][6] == "20261201101530+0000"
    assert fields["MSH"][8] == "ACK^A01^ACK"
    assert fields["MSH"][9] == "ACK1"
    assert fields["MSA"][1:3] == ["AA", "CTRL-42"]
    assert "ERR" not in fields
    parsed = hl7.parse(ack)  # a real HL7 parser reads it back
    assert str(parsed.segment("MSA")(2)) == "CTRL-42"


def test_an_ae_carries_one_err_per_field_in_v24_and_v25_form() -> None:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt(adt(pid3="RX1^^^RXX^MR", date_of_birth="1950-01-01"))
    ack = ack_for_error(caught.value, now=NOW)
    fields = ack_fields(ack)
    assert fields["MSA"][1:3] == ["AE", "MSG00001"]
    assert fields["MSA"][3].startswith("PID-3: no NHS number")
    first, second = err_segments(ack)
    assert first[1] == "PID^1^3^101&Required field missing&HL70357"  # ERR-1, v2.4
    assert first[2] == "PID^1^3"  # ERR-2, v2.5
    assert first[3] == "101^Required field missing^HL70357"
    assert first[4] == "E"
    assert first[8].startswith("PID-3: no NHS number")
    assert second[1].startswith("PID^1^7^102")
    assert second[8] == "PID-7: not a date of birth (YYYYMMDD)"


def test_an_err_for_a_repetition_and_component_places_them_in_err2() -> None:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt(adt(telecom="07700900123^PRN^CP~^NET^Internet^nope"))
    (err,) = err_segments(ack_for_error(caught.value, now=NOW))
    assert err[2] == "PID^1^13^2^4"
    assert err[8] == "PID-13[2].4: not a valid email address"


def test_an_unreadable_message_gets_an_ar_with_an_empty_msa2() -> None:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt("garbage")
    fields = ack_fields(ack_for_error(caught.value, now=NOW))
    assert fields["MSA"][1:3] == ["AR", ""]
    assert fields["MSH"][8] == "ACK"


def test_an_unused_event_is_acknowledged_aa_with_a_note() -> None:
    with pytest.raises(UnhandledEvent) as caught:
        parse_adt(adt("A02"))
    fields = ack_fields(ack_for_error(caught.value, now=NOW))
    assert fields["MSA"][1] == "AA"
    assert fields["MSA"][3] == "ADT A02 is not used by this service"


def test_values_echoed_into_the_ack_are_escaped() -> None:
    event = parse_adt(adt(sending_facility="A\\T\\B", control_id="X\\S\\1"))
    assert event.header.sending_facility == "A&B"
    ack = build_ack(event.header, AckCode.AA, now=NOW)
    assert ack_fields(ack)["MSA"][2] == "X\\S\\1"
    assert str(hl7.parse(ack).segment("MSA")(2)) == "X\\S\\1"
    assert hl7.parse(ack)["MSA.F2"] == "X^1"
