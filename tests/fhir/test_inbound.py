"""FHIR in: a Patient and the EpisodeOfCare or Flag marking enrolment, with errors named by path."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from messages.fhir import FhirValidationError, missing_for_fhir_enrolment, parse_enrolment
from messages.patient_events import MarkerKind, PatientAction
from testing.nhs_numbers import fake_nhs_number, with_wrong_check_digit
from tests.fakes.fake_pds import uk_core_patient

NUMBER = fake_nhs_number(40)
COHORT_SYSTEM = "https://riverside.example/fhir/CodeSystem/safety-net-cohort"


def patient(**changes: Any) -> dict[str, Any]:
    resource = uk_core_patient(NUMBER)
    resource.update(changes)
    return resource


def episode(status: str = "active", subject: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "resourceType": "EpisodeOfCare",
        "status": status,
        "type": [{"coding": [{"system": COHORT_SYSTEM, "code": "spinal_mets"}]}],
        "patient": subject
        or {"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NUMBER}},
        "period": {"start": "2026-12-01T10:00:00+00:00", "end": "2026-12-20T10:00:00+00:00"},
    }


def flag(status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "Flag",
        "status": status,
        "code": {"coding": [{"system": COHORT_SYSTEM, "code": "mscc_risk"}]},
        "subject": {"reference": "urn:uuid:patient-1"},
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['resourceType'].lower()}-1",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }


def parse(body: Any) -> Any:
    return parse_enrolment(body, sender="RXX-EPR", message_id="req-1", today=date(2026, 12, 1))


def errors_of(body: Any) -> list[str]:
    with pytest.raises(FhirValidationError) as caught:
        parse(body)
    return [str(e) for e in caught.value.errors]


def test_a_patient_alone_updates_details_and_never_enrols() -> None:
    event = parse(patient())
    assert event.action is PatientAction.UPDATE
    assert event.source == "fhir" and (event.sender, event.message_id) == ("RXX-EPR", "req-1")
    assert event.patient.nhs_number == NUMBER
    assert (event.patient.given_name, event.patient.family_name) == ("Ann", "Example")
    assert event.patient.mobile == "+447700900123"  # the mobile that ended in 2019 is skipped
    assert event.patient.email == "ann@example.com"
    assert event.patient.date_of_birth == date(1950, 1, 1)
    assert event.markers == ()


def test_a_bundle_with_an_active_episode_of_care_enrols_with_its_type_as_the_marker() -> None:
    event = parse(bundle(patient(), episode()))
    assert event.action is PatientAction.ENROL_OR_UPDATE
    (marker,) = event.markers
    assert (marker.kind, marker.system, marker.code) == (
        MarkerKind.EPISODE_TYPE,
        COHORT_SYSTEM,
        "spinal_mets",
    )
    assert event.occurred_at is not None and event.occurred_at.day == 1


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("finished", PatientAction.DISCHARGE),
        ("cancelled", PatientAction.CANCEL_ENROLMENT),
        ("entered-in-error", PatientAction.CANCEL_ENROLMENT),
    ],
)
def test_an_episode_of_care_alone_discharges_or_undoes(status: str, action: PatientAction) -> None:
    event = parse(episode(status))
    assert event.action is action
    assert event.patient.nhs_number == NUMBER
    if action is PatientAction.DISCHARGE:
        assert event.occurred_at is not None and event.occurred_at.day == 20


def test_a_flag_referring_to_the_bundles_patient_enrols_and_inactive_discharges() -> None:
    event = parse(bundle(patient(), flag()))
    assert event.action is PatientAction.ENROL_OR_UPDATE
    assert event.marker_codes(MarkerKind.FLAG_CODE) == ("mscc_risk",)
    assert parse(bundle(patient(), flag("inactive"))).action is PatientAction.DISCHARGE


def test_an_invalid_nhs_number_is_named_by_its_path() -> None:
    bad = patient(
        identifier=[
            {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": with_wrong_check_digit(NUMBER)}
        ]
    )
    assert errors_of(bad) == [
        "Patient.identifier[0].value: not a valid NHS number (NHS number fails its check digit)"
    ]
    assert errors_of(bundle(bad, episode()))[0].startswith(
        "Bundle.entry[0].resource.identifier[0].value: not a valid NHS number"
    )


def test_a_patient_without_an_nhs_number_is_refused() -> None:
    errors = errors_of(patient(identifier=[{"system": "https://example.org/mrn", "value": "1"}]))
    assert errors == [
        "Patient.identifier: no NHS number (an identifier with system "
        "https://fhir.nhs.uk/Id/nhs-number)"
    ]


def test_every_wrong_element_is_named_in_one_go() -> None:
    resource = patient(birthDate="01/01/1950", deceasedBoolean="yes")
    resource["telecom"][-1]["value"] = "01134960000"  # the current "mobile" is a landline
    resource["telecom"][2]["value"] = "not-an-email"
    assert errors_of(resource) == [
        "Patient.birthDate: not a date (YYYY-MM-DD)",
        "Patient.telecom[2].value: not a valid email address",
        "Patient.telecom[3].value: not a mobile number, so it cannot receive SMS",
        "Patient.deceasedBoolean: must be true or false",
    ]


def test_wrong_types_are_errors_not_crashes() -> None:
    assert errors_of(patient(identifier="9434765919"))[0] == "Patient.identifier: must be a list"
    assert errors_of([1, 2]) == ["resourceType: the body must be a FHIR resource"]
    assert errors_of({"resourceType": "Observation"}) == [
        "resourceType: 'Observation': expected Patient, Bundle, EpisodeOfCare or Flag"
    ]


def test_an_episode_status_the_service_does_not_use_is_refused_with_the_choices() -> None:
    assert errors_of(episode("onhold")) == [
        "EpisodeOfCare.status: 'onhold' is not used by this service "
        "(active, finished, cancelled, entered-in-error)"
    ]


def test_a_marker_with_no_coding_has_nothing_to_map_and_is_refused() -> None:
    empty = episode()
    empty["type"] = []
    assert errors_of(empty) == ["EpisodeOfCare.type: no coding: nothing to map to a cohort"]


def test_a_marker_naming_another_patient_than_the_bundles_is_refused() -> None:
    other = episode(
        subject={
            "identifier": {
                "system": "https://fhir.nhs.uk/Id/nhs-number",
                "value": fake_nhs_number(41),
            }
        }
    )
    assert errors_of(bundle(patient(), other)) == [
        "Bundle.entry[1].resource.patient: does not name the Patient in this Bundle"
    ]
    elsewhere = flag()
    elsewhere["subject"] = {"reference": "Patient/someone-else"}
    assert errors_of(bundle(patient(), elsewhere)) == [
        "Bundle.entry[1].resource.subject: does not name the Patient in this Bundle"
    ]


def test_a_lone_marker_must_name_its_patient_by_nhs_number() -> None:
    assert errors_of(flag()) == ["Flag.subject.identifier: no NHS number (the Patient is not sent)"]


def test_a_restricted_or_deceased_patient_is_carried_as_such() -> None:
    resource = patient(deceasedDateTime="2026-11-19T08:30:00+00:00")
    resource["meta"]["security"] = [{"code": "R"}]
    event = parse(resource)
    assert event.patient.restricted and event.patient.deceased


def test_an_enrolment_without_a_mobile_says_which_element_is_missing() -> None:
    resource = patient()
    resource["telecom"] = [t for t in resource["telecom"] if t["system"] != "phone"]
    event = parse(bundle(resource, episode()))
    assert [str(e) for e in missing_for_fhir_enrolment(event)] == [
        "Patient.telecom: no mobile number, needed to enrol"
    ]


def test_parsing_does_not_change_its_input() -> None:
    body = bundle(patient(), episode())
    before = copy.deepcopy(body)
    parse(body)
    assert body == before
