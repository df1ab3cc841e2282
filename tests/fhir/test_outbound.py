"""FHIR out: Communication and Flag resources for the trust's record, checked against the FHIR
R4B models of `fhir.resources` (R4B's Communication and Flag are R4's), so a misspelt element,
a wrong type or a bad cardinality fails here rather than in a trust's integration engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.flag import Flag

from messages.fhir import (
    AlertRecord,
    AlertState,
    CommunicationRecord,
    CommunicationStatus,
    Direction,
    FhirContext,
    Medium,
    build_communication,
    build_flag,
)
from schema.vocabulary import Label
from testing.nhs_numbers import fake_nhs_number

CONTEXT = FhirContext(base_url="https://safetynet.riverside.example", trust_ods_code="RXX")
NUMBER = fake_nhs_number(50)
SENT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def sent_sms(**changes: object) -> CommunicationRecord:
    values: dict[str, object] = {
        "message_id": "1234",
        "direction": Direction.TO_PATIENT,
        "medium": Medium.SMS,
        "status": CommunicationStatus.COMPLETED,
        "nhs_number": NUMBER,
        "text": "Hello from the MSCC team. Reply to tell us how you are.",
        "sent_at": SENT,
        "received_at": SENT + timedelta(seconds=4),
    }
    values.update(changes)
    return CommunicationRecord(**values)  # type: ignore[arg-type]


def test_a_sent_sms_is_a_valid_communication_from_the_trust_to_the_patient() -> None:
    resource = build_communication(sent_sms(), CONTEXT)
    Communication.model_validate(resource)
    assert resource["status"] == "completed"
    assert resource["subject"]["identifier"] == {
        "system": "https://fhir.nhs.uk/Id/nhs-number",
        "value": NUMBER,
    }
    assert resource["sender"]["identifier"]["value"] == "RXX"
    assert resource["recipient"][0]["type"] == "Patient"
    assert resource["sent"] == "2026-12-01T10:00:00+00:00"
    assert resource["received"] == "2026-12-01T10:00:04+00:00"
    assert resource["payload"] == [{"contentString": sent_sms().text}]
    assert resource["medium"][0]["text"] == "SMS"
    assert resource["identifier"] == [
        {"system": "https://safetynet.riverside.example/fhir/Id/message", "value": "1234"}
    ]
    assert resource["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Communication"
    ]


def test_a_reply_is_from_the_patient_to_the_trust_with_its_label_and_what_it_answers() -> None:
    reply = sent_sms(
        message_id="5678",
        direction=Direction.FROM_PATIENT,
        sent_at=None,
        in_response_to="1234",
        reply_label=Label.RED,
        text="my legs keep giving way",
    )
    resource = build_communication(reply, CONTEXT)
    Communication.model_validate(resource)
    assert resource["sender"]["type"] == "Patient"
    assert resource["recipient"][0]["type"] == "Organization"
    assert "sent" not in resource
    assert resource["inResponseTo"] == [{"reference": "Communication/message-1234"}]
    assert resource["topic"]["coding"][0]["code"] == "red"


def test_an_email_and_an_undelivered_message_are_described_as_such() -> None:
    email = build_communication(sent_sms(medium=Medium.EMAIL), CONTEXT)
    Communication.model_validate(email)
    assert email["medium"][0]["coding"][0]["code"] == "EMAILWRIT"
    failed = build_communication(
        sent_sms(
            status=CommunicationStatus.NOT_DONE, received_at=None, status_reason="undelivered"
        ),
        CONTEXT,
    )
    Communication.model_validate(failed)
    assert failed["status"] == "not-done"
    assert failed["statusReason"] == {"text": "undelivered"}


def test_a_naive_time_or_a_bad_nhs_number_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="time zone"):
        build_communication(sent_sms(sent_at=datetime(2026, 12, 1, 10, 0)), CONTEXT)
    with pytest.raises(ValueError, match="check digit"):
        build_communication(sent_sms(nhs_number="9434765918"), CONTEXT)
    with pytest.raises(ValueError, match="cannot make a FHIR id"):
        build_communication(sent_sms(message_id="has space"), CONTEXT)


def alert(**changes: object) -> AlertRecord:
    values: dict[str, object] = {
        "alert_id": "77",
        "level": Label.RED,
        "state": AlertState.OPEN,
        "nhs_number": NUMBER,
        "raised_at": SENT,
        "reply_message_id": "5678",
    }
    values.update(changes)
    return AlertRecord(**values)  # type: ignore[arg-type]


def test_an_open_red_alert_is_an_active_high_priority_flag_pointing_at_the_reply() -> None:
    resource = build_flag(alert(), CONTEXT)
    Flag.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["code"]["coding"][0]["code"] == "red"
    extensions = {e["url"]: e for e in resource["extension"]}
    priority = extensions["http://hl7.org/fhir/StructureDefinition/flag-priority"]
    assert priority["valueCodeableConcept"]["coding"][0]["code"] == "PH"
    detail = extensions["http://hl7.org/fhir/StructureDefinition/flag-detail"]
    assert detail["valueReference"] == {"reference": "Communication/message-5678"}
    outcome = extensions[
        "https://safetynet.riverside.example/fhir/StructureDefinition/alert-outcome"
    ]
    assert outcome["extension"] == [{"url": "state", "valueCode": "open"}]
    assert resource["period"] == {"start": "2026-12-01T10:00:00+00:00"}


def test_a_resolved_alert_is_inactive_with_its_times_and_outcome() -> None:
    resolved = alert(
        level=Label.AMBER,
        state=AlertState.RESOLVED,
        acknowledged_at=SENT + timedelta(minutes=3),
        resolved_at=SENT + timedelta(hours=2),
        outcome="Phoned; MRI booked today.",
    )
    resource = build_flag(resolved, CONTEXT)
    Flag.model_validate(resource)
    assert resource["status"] == "inactive"
    assert resource["period"]["end"] == "2026-12-01T12:00:00+00:00"
    extensions = {e["url"]: e for e in resource["extension"]}
    outcome = extensions[
        "https://safetynet.riverside.example/fhir/StructureDefinition/alert-outcome"
    ]
    assert {part["url"]: list(part.values())[1] for part in outcome["extension"]} == {
        "state": "resolved",
        "acknowledged": "2026-12-01T10:03:00+00:00",
        "resolved": "2026-12-01T12:00:00+00:00",
        "note": "Phoned; MRI booked today.",
    }
    priority = extensions["http://hl7.org/fhir/StructureDefinition/flag-priority"]
    assert priority["valueCodeableConcept"]["coding"][0]["code"] == "PM"


def test_only_red_and_amber_make_flags() -> None:
    with pytest.raises(ValueError, match="red or amber"):
        build_flag(alert(level=Label.NONE), CONTEXT)


def test_built_resources_are_plain_json() -> None:
    for resource in (build_communication(sent_sms(), CONTEXT), build_flag(alert(), CONTEXT)):
        assert json.loads(json.dumps(resource)) == resource


def test_the_validator_would_catch_a_misspelt_element() -> None:
    resource = build_communication(sent_sms(), CONTEXT)
    resource["payLoad"] = resource.pop("payload")
    with pytest.raises(ValueError, match="payLoad"):
        Communication.model_validate(resource)
