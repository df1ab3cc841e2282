"""What a PDS look-up found, and how a UK Core Patient resource is read into it. Reading is pure
(`read_patient` takes the resource and today's date), so every case can be tested without HTTP.

PDS facts relied on (NHS England's PDS FHIR API specification):
- a 200 whose `id` differs from the number asked means the number asked was superseded (merged)
  and the record returned is the one now in use;
- `meta.security[].code` R (restricted) or V (very restricted): `address`, `telecom` and
  `generalPractitioner` are removed from the response, so "no mobile" says nothing then;
- a death is `deceasedDateTime` and/or the UK Core DeathNotificationStatus extension: code 1
  informal (a GP or trust), 2 formal (the registrar), U removed;
- 404 RESOURCE_NOT_FOUND (no such number) or INVALIDATED_RESOURCE (invalidated, not superseded);
  400 INVALID_RESOURCE_ID (not an NHS number); 408, 429 (with Retry-After) and 5xx are transient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from schema.identifiers import InvalidIdentifier, check_nhs_number, parse_mobile

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_DEATH_NOTIFICATION = "Extension-UKCore-DeathNotificationStatus"
_RESTRICTED_CODES = frozenset({"R", "V"})


class DeathNotification(StrEnum):
    INFORMAL = "1"  # notified by a local NHS organisation (GP, trust)
    FORMAL = "2"  # registered with the Registrar of Deaths
    REMOVED = "U"  # a notification later removed


@dataclass(frozen=True)
class PdsPatient:
    nhs_number: str  # the number PDS holds the record under
    version: str  # meta.versionId (the ETag's number): what was seen, for the audit
    restricted: bool
    deceased_date_time: str | None  # FHIR dateTime as PDS sent it (may be a date only)
    death_notification: DeathNotification | None
    mobiles: tuple[str, ...]  # current mobile numbers, E.164; always empty when restricted
    given_names: tuple[str, ...]
    family_name: str | None

    @property
    def deceased(self) -> bool:
        """Dead as far as messaging goes: a date of death, or a formal or informal notice.

        A notice marked removed (U) with no date is not a death; a date is, whatever the notice
        says, because texting someone who has died is the harm this check exists to prevent."""
        if self.deceased_date_time:
            return True
        return self.death_notification in (DeathNotification.INFORMAL, DeathNotification.FORMAL)


@dataclass(frozen=True)
class Found:
    patient: PdsPatient


@dataclass(frozen=True)
class Superseded:
    """The number asked is no longer in use: `patient.nhs_number` is the one that replaced it."""

    asked: str
    patient: PdsPatient


@dataclass(frozen=True)
class NotFound:
    invalidated: bool  # PDS knew the number but invalidated the record (not superseded)


@dataclass(frozen=True)
class InvalidNumber:
    reason: str  # from our own check digit test, or PDS's INVALID_RESOURCE_ID


PdsResult = Found | Superseded | NotFound | InvalidNumber


class PdsError(Exception):
    """The check was not made. Nothing may be concluded about the patient from it."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class PdsTransientError(PdsError):
    """Try again later (at `retry_after` seconds when PDS said): 408, 429, 5xx, a timeout, a
    connection failure, or a response that was not what PDS sends."""


class PdsAuthError(PdsError):
    """Our credentials or configuration were refused (token endpoint, 401, 403). An operator
    must act; meanwhile the check is still owed, so callers retry it like a transient one."""


class PdsRequestError(PdsError):
    """PDS refused the request itself (a 400 other than an invalid number): a fault here."""


@dataclass(frozen=True)
class Issue:
    """The first issue of an OperationOutcome, as PDS shapes its errors."""

    code: str  # the Spine error code: RESOURCE_NOT_FOUND, INVALID_RESOURCE_ID...
    severity: str
    diagnostics: str | None


def read_operation_outcome(body: Any) -> Issue | None:
    if not isinstance(body, Mapping) or body.get("resourceType") != "OperationOutcome":
        return None
    issues = body.get("issue")
    if not isinstance(issues, Sequence) or not issues or not isinstance(issues[0], Mapping):
        return None
    issue = issues[0]
    code = ""
    details = issue.get("details")
    if isinstance(details, Mapping):
        for coding in _list(details.get("coding")):
            if isinstance(coding, Mapping) and coding.get("code"):
                code = str(coding["code"])
                break
    diagnostics = issue.get("diagnostics")
    return Issue(
        code=code or str(issue.get("code", "")),
        severity=str(issue.get("severity", "")),
        diagnostics=str(diagnostics) if diagnostics else None,
    )


class UnreadablePatient(ValueError):
    """A 200 whose body is not a Patient we can trust. Its message names the element."""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _current(period: Any, today: date) -> bool:
    if not isinstance(period, Mapping):
        return True
    start, end = period.get("start"), period.get("end")
    if isinstance(start, str) and start[:10] > today.isoformat():
        return False
    return not (isinstance(end, str) and end[:10] < today.isoformat())


def _restricted(resource: Mapping[str, Any]) -> bool:
    meta = resource.get("meta")
    if not isinstance(meta, Mapping):
        return False
    return any(
        isinstance(label, Mapping) and str(label.get("code", "")).upper() in _RESTRICTED_CODES
        for label in _list(meta.get("security"))
    )


def _death_notification(resource: Mapping[str, Any]) -> DeathNotification | None:
    for extension in _list(resource.get("extension")):
        if not isinstance(extension, Mapping) or not str(extension.get("url", "")).endswith(
            _DEATH_NOTIFICATION
        ):
            continue
        for part in _list(extension.get("extension")):
            if not isinstance(part, Mapping) or part.get("url") != "deathNotificationStatus":
                continue
            concept = part.get("valueCodeableConcept")
            codings = _list(concept.get("coding")) if isinstance(concept, Mapping) else []
            for coding in codings:
                if isinstance(coding, Mapping):
                    try:
                        return DeathNotification(str(coding.get("code")))
                    except ValueError:
                        # An unknown status is treated as a notice of death: safer than not.
                        return DeathNotification.INFORMAL
    return None


def _mobiles(resource: Mapping[str, Any], today: date) -> tuple[str, ...]:
    found: list[str] = []
    for contact in _list(resource.get("telecom")):
        if not isinstance(contact, Mapping):
            continue
        if contact.get("system") != "phone" or contact.get("use") != "mobile":
            continue
        if not _current(contact.get("period"), today):
            continue
        try:
            number = parse_mobile(str(contact.get("value", "")))
        except InvalidIdentifier:
            continue  # a "mobile" that is not one cannot be texted; PDS data has such entries
        if number not in found:
            found.append(number)
    return tuple(found)


def _name(resource: Mapping[str, Any], today: date) -> tuple[tuple[str, ...], str | None]:
    names = [n for n in _list(resource.get("name")) if isinstance(n, Mapping)]
    usual = [n for n in names if n.get("use") in (None, "usual", "official")]
    current = [n for n in usual if _current(n.get("period"), today)]
    chosen = (current or usual or names or [{}])[0]
    given = tuple(str(g) for g in _list(chosen.get("given")) if g)
    family = chosen.get("family")
    return given, str(family) if family else None


def read_patient(resource: Any, today: date) -> PdsPatient:
    """A UK Core Patient from PDS as a PdsPatient; UnreadablePatient when it is not one."""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "Patient":
        raise UnreadablePatient("resourceType: not a Patient")
    try:
        number = check_nhs_number(str(resource.get("id", "")))
    except InvalidIdentifier as error:
        raise UnreadablePatient(f"id: {error}") from None
    meta = resource.get("meta")
    version = str(meta.get("versionId", "")) if isinstance(meta, Mapping) else ""
    restricted = _restricted(resource)
    deceased = resource.get("deceasedDateTime")
    given, family = _name(resource, today)
    return PdsPatient(
        nhs_number=number,
        version=version,
        restricted=restricted,
        deceased_date_time=str(deceased) if deceased else None,
        death_notification=_death_notification(resource),
        mobiles=() if restricted else _mobiles(resource, today),
        given_names=given,
        family_name=family,
    )


def result_for(asked: str, patient: PdsPatient) -> Found | Superseded:
    return Found(patient) if patient.nhs_number == asked else Superseded(asked, patient)
