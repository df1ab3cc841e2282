"""Reading ADT messages into events, and naming the field when one is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from messages.hl7v2 import (
    LONDON,
    AckCode,
    AdtTrigger,
    ErrorCode,
    Hl7ValidationError,
    UnhandledEvent,
    decode,
    parse_adt,
    parse_field_path,
    parse_timestamp,
)
from messages.patient_events import MarkerKind, PatientAction
from testing.adt_messages import DEFAULT_NHS_NUMBER, adt
from testing.nhs_numbers import fake_nhs_number, with_wrong_check_digit


def segment(name: str, **fields: str) -> str:
    """A segment with the given fields (`f3="..."`) and the rest empty."""
    numbers = {int(key[1:]): value for key, value in fields.items()}
    return "|".join([name, *(numbers.get(n, "") for n in range(1, max(numbers) + 1))])


def errors_of(message: str | bytes, **options: object) -> list[str]:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt(message, **options)  # type: ignore[arg-type]
    return [str(error) for error in caught.value.errors]


def test_an_itk_style_a01_gives_the_patient_the_visit_and_the_action() -> None:
    event = parse_adt(adt("A01"))
    assert event.trigger is AdtTrigger.A01
    assert event.action is PatientAction.ENROL_OR_UPDATE
    assert event.header.control_id == "MSG00001"
    assert event.header.sender == "RXX"
    assert event.patient.nhs_number == DEFAULT_NHS_NUMBER
    assert (event.patient.given_name, event.patient.family_name) == ("ANN", "EXAMPLE")
    assert event.patient.date_of_birth == date(1950, 1, 1)
    assert event.patient.mobile == "+447700900123"
    assert event.patient.email == "ann@example.com"
    assert event.visit is not None
    assert (event.visit.location, event.visit.hospital_service) == ("ONC-MSCC", "800")
    assert event.visit.patient_type == "OUTPATIENT"
    assert event.visit.visit_number == "V0001"
    assert [i.type_code for i in event.identifiers] == ["NH", "MR"]


@pytest.mark.parametrize(
    ("trigger", "action"),
    [
        ("A01", PatientAction.ENROL_OR_UPDATE),
        ("A04", PatientAction.ENROL_OR_UPDATE),
        ("A08", PatientAction.ENROL_OR_UPDATE),
        ("A03", PatientAction.DISCHARGE),
        ("A11", PatientAction.CANCEL_ENROLMENT),
        ("A13", PatientAction.CANCEL_DISCHARGE),
    ],
)
def test_each_event_maps_to_its_action(trigger: str, action: PatientAction) -> None:
    assert parse_adt(adt(trigger)).to_patient_event().action is action


def test_an_nhs_number_marked_only_by_assigning_authority_nhs_is_found() -> None:
    # NHS ITK v2.4's own examples send `3333333333^^^NHS` with no identifier type.
    event = parse_adt(adt(pid3=f"RX1^^^RXX^MR~{DEFAULT_NHS_NUMBER}^^^NHS"))
    assert event.patient.nhs_number == DEFAULT_NHS_NUMBER


def test_a_pid3_without_an_nhs_number_is_an_ae_naming_pid3() -> None:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt(adt(pid3="RX123456^^^RXX^MR"))
    assert caught.value.ack_code is AckCode.AE
    (error,) = caught.value.hl7_errors
    assert error.location == "PID-3"
    assert error.code is ErrorCode.REQUIRED_FIELD_MISSING
    assert str(error).startswith("PID-3: no NHS number")


def test_an_nhs_number_failing_its_check_digit_names_its_repetition() -> None:
    bad = with_wrong_check_digit(DEFAULT_NHS_NUMBER)
    assert errors_of(adt(pid3=f"RX1^^^RXX^MR~{bad}^^^NHS^NH")) == [
        "PID-3[2].1: not a valid NHS number (NHS number fails its check digit)"
    ]


def test_two_different_nhs_numbers_for_one_patient_are_refused() -> None:
    other = fake_nhs_number(0)
    errors = errors_of(adt(pid3=f"{DEFAULT_NHS_NUMBER}^^^NHS^NH~{other}^^^NHS^NH"))
    assert errors == ["PID-3: more than one NHS number for the patient"]


def test_every_wrong_field_is_named_in_one_go() -> None:
    errors = errors_of(
        adt(
            date_of_birth="1950-01-01",
            telecom="07700900123^PRN^CP~^NET^Internet^not-an-email",
            pv1=segment("PV1", f1="1", f2="O", f3="ONC", f44="2026XX"),
        )
    )
    assert errors == [
        "PID-7: not a date of birth (YYYYMMDD)",
        "PID-13[2].4: not a valid email address",
        "PV1-44: not a date and time (YYYYMMDDHHMM[SS])",
    ]


def test_a_landline_labelled_as_a_mobile_is_an_error_naming_the_repetition() -> None:
    errors = errors_of(adt(telecom="01134960000^PRN^PH~01134960001^PRN^CP"))
    assert errors == ["PID-13[2].1: not a mobile number, so it cannot receive SMS"]


def test_an_unlabelled_mobile_is_used_and_an_unlabelled_landline_ignored() -> None:
    event = parse_adt(adt(telecom="+441134960000~07700900456"))
    assert event.patient.mobile == "+447700900456"
    assert parse_adt(adt(telecom="+441134960000")).patient.mobile is None


def test_a_cp_mobile_wins_over_an_unlabelled_one() -> None:
    event = parse_adt(adt(telecom="07700900456~07700900789^PRN^CP"))
    assert event.patient.mobile == "+447700900789"


def test_hl7_null_and_escape_sequences_are_read_as_hl7_means_them() -> None:
    event = parse_adt(adt(name='O\\T\\BRIEN^""^^^MS^^L'))
    assert event.patient.family_name == "O&BRIEN"
    assert event.patient.given_name is None


def test_a_future_date_of_birth_is_refused() -> None:
    assert errors_of(adt(date_of_birth="20991231"), today=date(2026, 12, 1)) == [
        "PID-7: date of birth in the future"
    ]


def test_a_death_indicator_and_a_protection_indicator_are_carried() -> None:
    tail = "|" * 16 + "20261130|Y"  # PID-29 death date, PID-30 death indicator
    pd1 = segment("PD1", f3="RIVERSIDE SURGERY^^Y06601", f12="Y")  # protection indicator
    event = parse_adt(adt(pid_tail=tail, pd1=pd1))
    assert event.patient.deceased is True
    assert event.patient.deceased_at is not None
    assert event.patient.restricted is True


def test_a40_gives_the_record_merged_away_from_mrg1() -> None:
    merged = fake_nhs_number(3)
    event = parse_adt(adt("A40", pv1=None, mrg=f"MRG|{merged}^^^NHS^NH~RX999^^^RXX^MR"))
    assert event.action is PatientAction.MERGE
    assert event.merged_nhs_number == merged
    assert event.to_patient_event().merged_nhs_number == merged
    assert [i.value for i in event.merged_identifiers] == [merged, "RX999"]


def test_a40_without_mrg_or_merging_a_patient_into_itself_is_refused() -> None:
    assert errors_of(adt("A40", pv1=None)) == ["MRG: segment missing"]
    same = f"MRG|{DEFAULT_NHS_NUMBER}^^^NHS^NH"
    assert errors_of(adt("A40", pv1=None, mrg=same)) == [
        "MRG-1: the same NHS number as PID-3: nothing to merge"
    ]
    assert errors_of(adt("A40", pv1=None, mrg="MRG|RX999^^^RXX^MR"))[0].startswith(
        "MRG-1: no NHS number for the record merged away"
    )


def test_missing_pid_or_pv1_names_the_segment() -> None:
    text = adt().replace("\r", "\n")
    no_pid = "\n".join(line for line in text.split("\n") if not line.startswith("PID"))
    assert errors_of(no_pid) == ["PID: segment missing"]
    assert errors_of(adt("A03", pv1=None)) == ["PV1: segment missing"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"message_type": "ORU"}, "MSH-9.1: message type ORU is not ADT"),
        ({"version": "2.9"}, "MSH-12: version 2.9 is not supported"),
        ({"control_id": ""}, "MSH-10: no message control id"),
    ],
)
def test_a_header_that_cannot_be_processed_is_an_ar(changes: dict[str, str], expected: str) -> None:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt(adt(**changes))  # type: ignore[arg-type]
    assert caught.value.ack_code is AckCode.AR
    assert str(caught.value.errors[0]).startswith(expected)
    assert caught.value.header is not None


def test_text_that_is_not_hl7_is_an_ar_naming_msh() -> None:
    with pytest.raises(Hl7ValidationError) as caught:
        parse_adt("hello, this is not HL7")
    assert caught.value.ack_code is AckCode.AR
    assert str(caught.value) == "MSH: the message does not start with an MSH segment"
    assert caught.value.header is None


def test_an_adt_event_the_service_does_not_use_is_unhandled_not_invalid() -> None:
    with pytest.raises(UnhandledEvent) as caught:
        parse_adt(adt("A02"))
    assert caught.value.header.trigger_event == "A02"


def test_segments_ended_by_line_feeds_read_the_same_as_by_carriage_returns() -> None:
    assert parse_adt(adt(separator="\n")) == parse_adt(adt(separator="\r"))
    assert parse_adt(adt(separator="\r\n")) == parse_adt(adt())


def test_bytes_are_decoded_in_the_character_set_msh18_names() -> None:
    latin = adt(name="BRONTË^ANNE^^^MS^^L").replace("UNICODE", "8859/1").encode("latin-1")
    assert parse_adt(latin).patient.family_name == "BRONTË"
    utf8 = adt(name="BRONTË^ANNE^^^MS^^L").encode("utf-8")
    assert parse_adt(utf8).patient.family_name == "BRONTË"
    with pytest.raises(Hl7ValidationError, match="MSH-18: the message is not valid utf-8"):
        decode(adt(name="BRONTË^ANNE").encode("latin-1"))


def test_alert_codes_are_read_from_the_fields_a_trust_names() -> None:
    zal = "ZAL|1|MSCC-RISK~BONE-METS|SPINAL"
    event = parse_adt(adt(extra=[zal]), alert_fields=[parse_field_path("ZAL-2")])
    assert event.alert_codes == ("MSCC-RISK", "BONE-METS")
    markers = event.to_patient_event().marker_codes(MarkerKind.ALERT)
    assert markers == ("MSCC-RISK", "BONE-METS")
    assert parse_adt(adt(extra=[zal])).alert_codes == ()


def test_a_bad_alert_field_in_trust_config_is_refused_with_what_is_expected() -> None:
    with pytest.raises(ValueError, match=r"not a field such as ZAL-3 or OBX-5\.1"):
        parse_field_path("ZAL3")
    assert str(parse_field_path("OBX-5.2")) == "OBX-5.2"


def test_times_without_an_offset_are_local_and_with_one_are_exact() -> None:
    summer = parse_timestamp("202607011200", LONDON)
    assert summer.astimezone(UTC) == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    exact = parse_timestamp("20260701120000.5+0000", LONDON)
    assert exact == datetime(2026, 7, 1, 12, 0, 0, 500000, tzinfo=UTC)


def test_an_enrolment_without_a_mobile_says_which_field_is_missing() -> None:
    event = parse_adt(adt(telecom="^NET^Internet^ann@example.com"))
    assert [str(e) for e in event.missing_for_enrolment()] == [
        "PID-13: no mobile number, needed to enrol"
    ]
    assert parse_adt(adt()).missing_for_enrolment() == ()
