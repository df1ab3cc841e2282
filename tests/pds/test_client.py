"""The PDS client against the fake PDS: every case a trust asks about, and every failure."""

from __future__ import annotations

import re
import time
from email.utils import formatdate

import pytest
from structlog.testing import capture_logs

from testing.nhs_numbers import with_wrong_check_digit
from tests.fakes.fake_pds import OTHER_MOBILE, Case, FakePds, uk_core_patient
from worker.providers.pds import (
    DeathNotification,
    Found,
    InvalidNumber,
    NotFound,
    PdsAuthError,
    PdsClient,
    PdsRequestError,
    PdsTransientError,
    Superseded,
    TokenSource,
)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def found(pds: PdsClient, number: str) -> Found:
    result = pds.get_patient(number)
    assert isinstance(result, Found), result
    return result


def test_a_patient_is_found_with_their_current_mobile_name_and_version(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    patient = found(pds, Case.NORMAL).patient
    assert patient.nhs_number == Case.NORMAL
    assert patient.version == "2"
    assert patient.mobiles == ("+447700900123",)  # the mobile that ended in 2019 is not current
    assert (patient.given_names, patient.family_name) == (("Ann",), "Example")
    assert not patient.restricted
    assert not patient.deceased
    (request,) = fake_pds.patient_requests()
    assert UUID.match(request.headers["X-Request-ID"])
    assert UUID.match(request.headers["X-Correlation-ID"])
    assert request.headers["Authorization"].startswith("Bearer ")


def test_spaces_in_the_number_asked_are_not_an_error(pds: PdsClient) -> None:
    spaced = f"{Case.NORMAL[:3]} {Case.NORMAL[3:6]} {Case.NORMAL[6:]}"
    assert found(pds, spaced).patient.nhs_number == Case.NORMAL


def test_a_correlation_id_given_is_passed_on(pds: PdsClient, fake_pds: FakePds) -> None:
    pds.get_patient(Case.NORMAL, correlation_id="enrolment-42")
    assert fake_pds.patient_requests()[0].headers["X-Correlation-ID"] == "enrolment-42"


def test_a_formally_deceased_patient_is_deceased_with_the_date(pds: PdsClient) -> None:
    patient = found(pds, Case.DECEASED).patient
    assert patient.deceased
    assert patient.deceased_date_time == "2026-11-19T08:30:00+00:00"
    assert patient.death_notification is DeathNotification.FORMAL


def test_an_informal_death_notification_alone_makes_the_patient_deceased(pds: PdsClient) -> None:
    patient = found(pds, Case.INFORMAL_DEATH).patient
    assert patient.deceased_date_time is None
    assert patient.death_notification is DeathNotification.INFORMAL
    assert patient.deceased


def test_a_removed_death_notification_without_a_date_is_not_a_death(pds: PdsClient) -> None:
    patient = found(pds, Case.DEATH_REMOVED).patient
    assert patient.death_notification is DeathNotification.REMOVED
    assert not patient.deceased


def test_a_date_of_death_counts_whatever_the_notification_says(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    fake_pds.patients[Case.DEATH_REMOVED] = uk_core_patient(
        Case.DEATH_REMOVED, deceased="2026-11-01", death_notification="U"
    )
    assert found(pds, Case.DEATH_REMOVED).patient.deceased


def test_a_restricted_record_is_flagged_and_carries_no_contact_details(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    resource = fake_pds.patients[Case.RESTRICTED]
    assert "telecom" not in resource and "address" not in resource  # as PDS sends it
    patient = found(pds, Case.RESTRICTED).patient
    assert patient.restricted
    assert patient.mobiles == ()


def test_contact_details_in_a_restricted_record_are_ignored_even_if_sent(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    leaky = uk_core_patient(Case.RESTRICTED)
    leaky["meta"]["security"] = [{"code": "R", "display": "restricted"}]
    fake_pds.patients[Case.RESTRICTED] = leaky
    assert found(pds, Case.RESTRICTED).patient.mobiles == ()


def test_a_different_mobile_in_pds_is_reported_as_the_current_one(pds: PdsClient) -> None:
    assert found(pds, Case.DIFFERENT_MOBILE).patient.mobiles == ("+447700900456",)
    assert OTHER_MOBILE.endswith("456")


def test_a_superseded_number_returns_the_record_now_in_use(pds: PdsClient) -> None:
    result = pds.get_patient(Case.SUPERSEDED)
    assert isinstance(result, Superseded)
    assert result.asked == Case.SUPERSEDED
    assert result.patient.nhs_number == Case.SUPERSEDED_BY
    assert result.patient.version == "5"


def test_an_unknown_number_is_not_found_and_an_invalidated_one_says_so(pds: PdsClient) -> None:
    assert pds.get_patient(Case.NOT_FOUND) == NotFound(invalidated=False)
    assert pds.get_patient(Case.INVALIDATED) == NotFound(invalidated=True)


def test_a_404_that_is_not_pds_speaking_is_never_read_as_not_found(
    fake_pds: FakePds, tokens: TokenSource
) -> None:
    misconfigured = PdsClient(fake_pds.origin + "/personal-demographics/FHIR/R5", tokens)
    with pytest.raises(PdsRequestError, match="without PDS's OperationOutcome"):
        misconfigured.get_patient(Case.NORMAL)


def test_a_number_failing_its_check_digit_is_invalid_without_asking_pds(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    result = pds.get_patient(with_wrong_check_digit(Case.NORMAL))
    assert result == InvalidNumber("NHS number fails its check digit")
    assert fake_pds.patient_requests() == []


def test_a_number_pds_calls_invalid_is_invalid(pds: PdsClient) -> None:
    result = pds.get_patient(Case.PDS_INVALID)
    assert isinstance(result, InvalidNumber)
    assert "INVALID_RESOURCE_ID" in result.reason


def test_a_rate_limit_is_transient_and_carries_retry_after(pds: PdsClient) -> None:
    with pytest.raises(PdsTransientError) as caught:
        pds.get_patient(Case.RATE_LIMITED)
    assert (caught.value.status, caught.value.code) == (429, "TOO_MANY_REQUESTS")
    assert caught.value.retry_after == 7


def test_retry_after_as_an_http_date_is_read_as_seconds_from_now(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    fake_pds.fail_next(429, retry_after=formatdate(time.time() + 120, usegmt=True))
    with pytest.raises(PdsTransientError) as caught:
        pds.get_patient(Case.NORMAL)
    assert caught.value.retry_after is not None
    assert 110 <= caught.value.retry_after <= 121


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_transient(pds: PdsClient, fake_pds: FakePds, status: int) -> None:
    fake_pds.fail_next(status)
    with pytest.raises(PdsTransientError) as caught:
        pds.get_patient(Case.NORMAL)
    assert caught.value.status == status
    assert isinstance(pds.get_patient(Case.NORMAL), Found)  # the check is made next time


def test_the_always_failing_number_is_a_500(pds: PdsClient) -> None:
    with pytest.raises(PdsTransientError) as caught:
        pds.get_patient(Case.SERVER_ERROR)
    assert caught.value.status == 500


def test_a_pds_that_does_not_answer_in_time_is_transient(
    fake_pds: FakePds, tokens: TokenSource
) -> None:
    tokens.token()  # so only the patient request is slow
    impatient = PdsClient(fake_pds.base_url, tokens, timeout=0.2)
    fake_pds.delay_next(0.5)
    with pytest.raises(PdsTransientError) as caught:
        impatient.get_patient(Case.NORMAL)
    assert caught.value.code == "timeout"


def test_a_revoked_token_is_renewed_once_and_the_lookup_succeeds(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    found(pds, Case.NORMAL)
    fake_pds.revoke_tokens()
    found(pds, Case.NORMAL)
    assert fake_pds.token_requests == 2


def test_access_refused_twice_is_an_auth_error(pds: PdsClient, fake_pds: FakePds) -> None:
    fake_pds.fail_next(401)
    fake_pds.fail_next(401)
    with pytest.raises(PdsAuthError):
        pds.get_patient(Case.NORMAL)
    fake_pds.fail_next(403)
    with pytest.raises(PdsAuthError):
        pds.get_patient(Case.NORMAL)


def test_a_request_pds_refuses_as_malformed_is_a_request_error(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    fake_pds.fail_next(400)
    with pytest.raises(PdsRequestError):
        pds.get_patient(Case.NORMAL)


def test_an_answer_to_a_different_request_is_never_believed(
    pds: PdsClient, fake_pds: FakePds
) -> None:
    other_patient = uk_core_patient(Case.DECEASED, deceased="2026-01-01")
    fake_pds.fail_next(
        200,
        body=other_patient,
        headers={"X-Request-ID": "00000000-0000-4000-8000-000000000000"},
    )
    with pytest.raises(PdsTransientError, match="different request"):
        pds.get_patient(Case.NORMAL)


@pytest.mark.parametrize(
    "body",
    [{"resourceType": "Bundle"}, {"resourceType": "Patient", "id": "not-a-number"}, None],
)
def test_a_200_that_is_not_a_patient_is_transient_never_a_conclusion(
    pds: PdsClient, fake_pds: FakePds, body: dict[str, str] | None
) -> None:
    fake_pds.fail_next(200, body=body or {"unexpected": True})
    with pytest.raises(PdsTransientError, match="unreadable Patient"):
        pds.get_patient(Case.NORMAL)


def test_a_pds_that_cannot_be_reached_is_transient(fake_pds: FakePds) -> None:
    tokens = TokenSource(fake_pds.credentials())
    tokens.token()
    client = PdsClient("http://127.0.0.1:9/personal-demographics/FHIR/R4", tokens, timeout=1)
    with pytest.raises(PdsTransientError) as caught:
        client.get_patient(Case.NORMAL)
    assert caught.value.code == "connection"


def test_no_nhs_number_name_or_phone_reaches_the_logs(pds: PdsClient) -> None:
    with capture_logs() as logs:
        for number in (Case.NORMAL, Case.SUPERSEDED, Case.NOT_FOUND):
            pds.get_patient(number)
        with pytest.raises(PdsTransientError):
            pds.get_patient(Case.RATE_LIMITED)
    assert {entry["event"] for entry in logs} >= {"pds.lookup", "pds.lookup_failed"}
    text = repr(logs)
    for secret in (
        Case.NORMAL,
        Case.SUPERSEDED,
        Case.SUPERSEDED_BY,
        Case.NOT_FOUND,
        Case.RATE_LIMITED,
        "Example",
        "Ann",
        "7700900123",
    ):
        assert secret not in text
