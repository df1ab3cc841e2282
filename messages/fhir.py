"""FHIR R4 (UK Core) in and out, as plain JSON dicts. PURE: no database, no network, no clock.

In: a `Patient`, alone or in a Bundle with the `EpisodeOfCare` or `Flag` that marks enrolment in
a cohort (or that marker alone, its subject named by NHS number), read into the same
`PatientEvent` an HL7v2 ADT gives. Every error names its element by path, as FHIRPath does:
"Patient.identifier[0].value: not a valid NHS number (...)".

Out: `Communication` (a message sent to a patient or received from one) and `Flag` (an alert,
its level and its outcome), shaped for UK Core, for the trust's record.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from messages.patient_events import (
    FieldError,
    InvalidMessage,
    Marker,
    MarkerKind,
    PatientAction,
    PatientDetails,
    PatientEvent,
    missing_for_enrolment,
)
from schema.identifiers import InvalidIdentifier, check_email, check_nhs_number, parse_mobile
from schema.vocabulary import Label

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY_CODES = "http://hl7.org/fhir/flag-priority-code"
FLAG_DETAIL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-detail"
LONDON = ZoneInfo("Europe/London")
_RESTRICTED = frozenset({"R", "V"})
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_FHIR_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FhirValidationError(InvalidMessage):
    """The resource cannot be used; each error names its element. Nothing may change."""


# -- reading --------------------------------------------------------------------------------


class _Reader:
    def __init__(self, today: date | None, zone: tzinfo) -> None:
        self.today = today
        self.zone = zone
        self.errors: list[FieldError] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.fail(path, "must be an object")
            return None
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return []
        return value

    def text(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return None
        return value.strip() or None

    def date_time(self, value: Any, path: str) -> datetime | None:
        text = self.text(value, path)
        if text is None:
            return None
        if _FHIR_DATE.match(text):
            try:
                return datetime.combine(date.fromisoformat(text), time(), self.zone)
            except ValueError:
                pass
        else:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return parsed
        self.fail(path, "not a dateTime (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a time zone)")
        return None


def _nhs_number_from(reader: _Reader, identifiers: list[Any], path: str) -> str | None:
    numbers: set[str] = set()
    for index, entry in enumerate(identifiers):
        item = reader.mapping(entry, f"{path}[{index}]")
        if item is None or item.get("system") != NHS_NUMBER_SYSTEM:
            continue
        value = reader.text(item.get("value"), f"{path}[{index}].value")
        try:
            numbers.add(check_nhs_number(value or ""))
        except InvalidIdentifier as error:
            reader.fail(f"{path}[{index}].value", f"not a valid NHS number ({error})")
            return None
    if len(numbers) > 1:
        reader.fail(path, "more than one NHS number")
        return None
    if not numbers:
        reader.fail(path, f"no NHS number (an identifier with system {NHS_NUMBER_SYSTEM})")
        return None
    return numbers.pop()


def _name(reader: _Reader, names: list[Any], path: str) -> tuple[str | None, str | None]:
    chosen: tuple[int, Mapping[str, Any]] | None = None
    for index, entry in enumerate(names):
        name = reader.mapping(entry, f"{path}[{index}]")
        if name is None:
            continue
        if name.get("use") in (None, "official", "usual") and chosen is None:
            chosen = (index, name)
    if chosen is None:
        return None, None
    index, name = chosen
    family = reader.text(name.get("family"), f"{path}[{index}].family")
    given = reader.items(name.get("given"), f"{path}[{index}].given")
    first = reader.text(given[0], f"{path}[{index}].given[0]") if given else None
    return first, family


def _contacts(reader: _Reader, telecom: list[Any], path: str) -> tuple[str | None, str | None]:
    labelled: str | None = None
    unlabelled: str | None = None
    email: str | None = None
    for index, entry in enumerate(telecom):
        contact = reader.mapping(entry, f"{path}[{index}]")
        period = contact.get("period") if contact is not None else None
        if contact is None or (isinstance(period, Mapping) and period.get("end")):
            continue  # an ended contact is history
        where = f"{path}[{index}].value"
        value = reader.text(contact.get("value"), where)
        system, use = contact.get("system"), contact.get("use")
        if not value:
            continue
        if system == "email":
            try:
                email = email or check_email(value)
            except InvalidIdentifier:
                reader.fail(where, "not a valid email address")
        elif system == "sms" or (system == "phone" and use == "mobile"):
            try:
                labelled = labelled or parse_mobile(value)
            except InvalidIdentifier as error:
                reader.fail(where, str(error))
        elif system == "phone" and unlabelled is None:
            # A landline is not ours to use, and not an error.
            with contextlib.suppress(InvalidIdentifier):
                unlabelled = parse_mobile(value)
    return labelled or unlabelled, email


def _restricted(meta: Mapping[str, Any] | None) -> bool:
    if meta is None:
        return False
    labels = meta.get("security")
    return isinstance(labels, list) and any(
        isinstance(label, Mapping) and str(label.get("code", "")).upper() in _RESTRICTED
        for label in labels
    )


def _patient(reader: _Reader, resource: Mapping[str, Any], path: str) -> PatientDetails | None:
    number = _nhs_number_from(
        reader, reader.items(resource.get("identifier"), f"{path}.identifier"), f"{path}.identifier"
    )
    given, family = _name(
        reader, reader.items(resource.get("name"), f"{path}.name"), f"{path}.name"
    )
    born: date | None = None
    birth = reader.text(resource.get("birthDate"), f"{path}.birthDate")
    if birth is not None:
        try:
            born = date.fromisoformat(birth) if _FHIR_DATE.match(birth) else None
        except ValueError:
            born = None
        if born is None:
            reader.fail(f"{path}.birthDate", "not a date (YYYY-MM-DD)")
        elif reader.today is not None and born > reader.today:
            reader.fail(f"{path}.birthDate", "date of birth in the future")
            born = None
    mobile, email = _contacts(
        reader, reader.items(resource.get("telecom"), f"{path}.telecom"), f"{path}.telecom"
    )
    died = reader.date_time(resource.get("deceasedDateTime"), f"{path}.deceasedDateTime")
    deceased_flag = resource.get("deceasedBoolean")
    if deceased_flag is not None and not isinstance(deceased_flag, bool):
        reader.fail(f"{path}.deceasedBoolean", "must be true or false")
        deceased_flag = None
    meta = reader.mapping(resource.get("meta"), f"{path}.meta")
    if number is None:
        return None
    return PatientDetails(
        nhs_number=number,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        mobile=mobile,
        email=email,
        restricted=_restricted(meta),
        deceased=bool(deceased_flag) or died is not None,
        deceased_at=died,
    )


_EPISODE_ACTIONS = {
    "active": PatientAction.ENROL_OR_UPDATE,
    "finished": PatientAction.DISCHARGE,
    "cancelled": PatientAction.CANCEL_ENROLMENT,
    "entered-in-error": PatientAction.CANCEL_ENROLMENT,
}
_FLAG_ACTIONS = {
    "active": PatientAction.ENROL_OR_UPDATE,
    "inactive": PatientAction.DISCHARGE,
    "entered-in-error": PatientAction.CANCEL_ENROLMENT,
}
_MARKER_RESOURCES = {
    "EpisodeOfCare": ("patient", "type", MarkerKind.EPISODE_TYPE, _EPISODE_ACTIONS),
    "Flag": ("subject", "code", MarkerKind.FLAG_CODE, _FLAG_ACTIONS),
}


@dataclass(frozen=True)
class _Marked:
    action: PatientAction
    markers: tuple[Marker, ...]
    occurred_at: datetime | None
    subject_nhs_number: str | None
    subject_reference: str | None


def _codings(reader: _Reader, concept: Any, path: str, kind: MarkerKind) -> list[Marker]:
    found: list[Marker] = []
    item = reader.mapping(concept, path)
    if item is None:
        return found
    for index, entry in enumerate(reader.items(item.get("coding"), f"{path}.coding")):
        coding = reader.mapping(entry, f"{path}.coding[{index}]")
        if coding is None:
            continue
        code = reader.text(coding.get("code"), f"{path}.coding[{index}].code")
        system = reader.text(coding.get("system"), f"{path}.coding[{index}].system")
        if code:
            found.append(Marker(kind, code, system))
    return found


def _marker(reader: _Reader, resource: Mapping[str, Any], path: str) -> _Marked | None:
    kind_name = str(resource.get("resourceType"))
    subject_field, code_field, kind, actions = _MARKER_RESOURCES[kind_name]
    status = reader.text(resource.get("status"), f"{path}.status")
    action = actions.get(status or "")
    if action is None:
        reader.fail(
            f"{path}.status",
            f"{status!r} is not used by this service ({', '.join(actions)})"
            if status
            else f"missing ({', '.join(actions)})",
        )
    codes = resource.get(code_field)
    markers: list[Marker] = []
    if kind_name == "EpisodeOfCare":
        for index, concept in enumerate(reader.items(codes, f"{path}.type")):
            markers.extend(_codings(reader, concept, f"{path}.type[{index}]", kind))
    else:
        markers.extend(_codings(reader, codes, f"{path}.code", kind))
    if not markers:
        reader.fail(f"{path}.{code_field}", "no coding: nothing to map to a cohort")
    period = reader.mapping(resource.get("period"), f"{path}.period") or {}
    end = reader.date_time(period.get("end"), f"{path}.period.end")
    start = reader.date_time(period.get("start"), f"{path}.period.start")
    subject = reader.mapping(resource.get(subject_field), f"{path}.{subject_field}")
    number: str | None = None
    reference: str | None = None
    if subject is None:
        reader.fail(f"{path}.{subject_field}", "missing: whose enrolment is this?")
    else:
        reference = reader.text(subject.get("reference"), f"{path}.{subject_field}.reference")
        identifier = subject.get("identifier")
        if identifier is not None:
            number = _nhs_number_from(reader, [identifier], f"{path}.{subject_field}.identifier")
        elif reference is None:
            reader.fail(f"{path}.{subject_field}", "neither a reference nor an NHS number")
    if action is None:
        return None
    occurred = end if action is PatientAction.DISCHARGE and end else start
    return _Marked(action, tuple(markers), occurred, number, reference)


_PatientEntry = tuple[str, Mapping[str, Any], str | None]
_MarkerEntry = tuple[str, Mapping[str, Any]]


def _entries(
    reader: _Reader, body: Mapping[str, Any]
) -> tuple[_PatientEntry | None, _MarkerEntry | None]:
    """The Patient (path, resource, fullUrl) and the enrolment marker (path, resource) posted."""
    kind = body.get("resourceType")
    if kind == "Patient":
        return ("Patient", body, None), None
    if kind in _MARKER_RESOURCES:
        return None, (str(kind), body)
    if kind != "Bundle":
        reader.fail("resourceType", f"{kind!r}: expected Patient, Bundle, EpisodeOfCare or Flag")
        return None, None
    patient_entry: _PatientEntry | None = None
    marker_entry: _MarkerEntry | None = None
    for index, entry in enumerate(reader.items(body.get("entry"), "Bundle.entry")):
        item = reader.mapping(entry, f"Bundle.entry[{index}]")
        resource = (
            reader.mapping(item.get("resource"), f"Bundle.entry[{index}].resource")
            if item
            else None
        )
        if resource is None:
            continue
        path = f"Bundle.entry[{index}].resource"
        entry_kind = resource.get("resourceType")
        if entry_kind == "Patient" and patient_entry is None:
            full_url = item.get("fullUrl") if item else None
            patient_entry = (path, resource, str(full_url) if full_url else None)
        elif entry_kind in _MARKER_RESOURCES and marker_entry is None:
            marker_entry = (path, resource)
        else:
            reader.fail(
                f"{path}.resourceType",
                f"{entry_kind!r} is not expected here (one Patient and one EpisodeOfCare or Flag)",
            )
    if patient_entry is None and marker_entry is None:
        reader.fail("Bundle.entry", "no Patient, EpisodeOfCare or Flag")
    return patient_entry, marker_entry


def parse_enrolment(
    body: Any,
    *,
    sender: str,
    message_id: str,
    today: date | None = None,
    zone: tzinfo = LONDON,
) -> PatientEvent:
    """A Patient, a Bundle of a Patient and its EpisodeOfCare or Flag, or the marker alone.

    `sender` is the calling system, `message_id` its idempotency key (from the request): the
    same pair twice is the same event."""
    reader = _Reader(today, zone)
    if not isinstance(body, Mapping):
        raise FhirValidationError([FieldError("resourceType", "the body must be a FHIR resource")])
    patient_entry, marker_entry = _entries(reader, body)
    details = _patient(reader, patient_entry[1], patient_entry[0]) if patient_entry else None
    marked = _marker(reader, marker_entry[1], marker_entry[0]) if marker_entry else None
    if marked is not None and marker_entry is not None:
        subject_path = (
            f"{marker_entry[0]}.{_MARKER_RESOURCES[str(marker_entry[1]['resourceType'])][0]}"
        )
        if details is not None:
            names_other = marked.subject_nhs_number not in (None, details.nhs_number)
            refers_elsewhere = (
                marked.subject_reference is not None
                and marked.subject_nhs_number is None
                and marked.subject_reference != (patient_entry[2] if patient_entry else None)
            )
            if names_other or refers_elsewhere:
                reader.fail(subject_path, "does not name the Patient in this Bundle")
        elif marked.subject_nhs_number is None and not reader.errors:
            reader.fail(f"{subject_path}.identifier", "no NHS number (the Patient is not sent)")
    if reader.errors:
        raise FhirValidationError(reader.errors)
    if details is None:
        assert marked is not None and marked.subject_nhs_number is not None
        details = PatientDetails(nhs_number=marked.subject_nhs_number)
    return PatientEvent(
        source="fhir",
        sender=sender,
        message_id=message_id,
        action=marked.action if marked else PatientAction.UPDATE,
        occurred_at=marked.occurred_at if marked else None,
        patient=details,
        markers=marked.markers if marked else (),
    )


# Where a FHIR PatientEvent's enrolment fields come from, for `missing_for_enrolment`.
ENROLMENT_FIELDS = {
    "family_name": "Patient.name.family",
    "given_name": "Patient.name.given",
    "mobile": "Patient.telecom",
}


def missing_for_fhir_enrolment(event: PatientEvent) -> tuple[FieldError, ...]:
    return missing_for_enrolment(event, ENROLMENT_FIELDS)


# -- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FhirContext:
    """Who is writing: this service's public base URL (it namespaces our identifiers and code
    systems) and the trust's ODS code."""

    base_url: str
    trust_ods_code: str

    def system(self, kind: str, name: str) -> str:
        return f"{self.base_url.rstrip('/')}/fhir/{kind}/{name}"


class Medium(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class Direction(StrEnum):
    TO_PATIENT = "to_patient"
    FROM_PATIENT = "from_patient"


class CommunicationStatus(StrEnum):
    """FHIR event-status, as we use it."""

    IN_PROGRESS = "in-progress"  # handed to the provider, no receipt yet
    COMPLETED = "completed"  # sent (and delivered, when `received_at`), or a reply received
    NOT_DONE = "not-done"  # cancelled, suppressed or undeliverable: see `status_reason`
    ENTERED_IN_ERROR = "entered-in-error"


@dataclass(frozen=True)
class CommunicationRecord:
    message_id: str  # ours: unique per message
    direction: Direction
    medium: Medium
    status: CommunicationStatus
    nhs_number: str
    text: str
    sent_at: datetime | None = None
    received_at: datetime | None = None  # delivered (to the patient) or received (by us)
    in_response_to: str | None = None  # the message id this reply answers
    status_reason: str | None = None  # for not-done: why, in a word or two
    reply_label: Label | None = None  # triage's label of a reply


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class AlertRecord:
    alert_id: str
    level: Label  # red or amber
    state: AlertState
    nhs_number: str
    raised_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None  # the coordinator's outcome note, as written
    reply_message_id: str | None = None  # the reply that raised it


def _fhir_id(prefix: str, value: str) -> str:
    candidate = f"{prefix}-{value}"
    if not _FHIR_ID.match(candidate):
        raise ValueError(f"{value!r} cannot make a FHIR id")
    return candidate


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("FHIR times need a time zone")
    return value.isoformat()


def _patient_reference(nhs_number: str) -> dict[str, Any]:
    return {
        "type": "Patient",
        "identifier": {"system": NHS_NUMBER_SYSTEM, "value": check_nhs_number(nhs_number)},
    }


def _trust_reference(context: FhirContext) -> dict[str, Any]:
    return {
        "type": "Organization",
        "identifier": {"system": ODS_SYSTEM, "value": context.trust_ods_code},
    }


def _medium(medium: Medium) -> dict[str, Any]:
    # v3 ParticipationMode has EMAILWRIT but no code for SMS: SMS is ELECTRONIC, named in text.
    if medium is Medium.EMAIL:
        coding = {"system": PARTICIPATION_MODE, "code": "EMAILWRIT", "display": "email"}
    else:
        coding = {"system": PARTICIPATION_MODE, "code": "ELECTRONIC", "display": "electronic data"}
    return {"coding": [coding], "text": medium.value.upper() if medium is Medium.SMS else "email"}


def build_communication(record: CommunicationRecord, context: FhirContext) -> dict[str, Any]:
    """A UK Core Communication for one message sent or received."""
    patient, trust = _patient_reference(record.nhs_number), _trust_reference(context)
    outbound = record.direction is Direction.TO_PATIENT
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": _fhir_id("message", record.message_id),
        "meta": {"profile": [f"{UK_CORE}/UKCore-Communication"]},
        "identifier": [{"system": context.system("Id", "message"), "value": record.message_id}],
        "status": record.status.value,
        "category": [
            {
                "coding": [
                    {
                        "system": context.system("CodeSystem", "communication-direction"),
                        "code": record.direction.value,
                    }
                ]
            }
        ],
        "medium": [_medium(record.medium)],
        "subject": patient,
        "sender": trust if outbound else patient,
        "recipient": [patient if outbound else trust],
        "payload": [{"contentString": record.text}],
    }
    if record.sent_at is not None:
        resource["sent"] = _instant(record.sent_at)
    if record.received_at is not None:
        resource["received"] = _instant(record.received_at)
    if record.in_response_to is not None:
        resource["inResponseTo"] = [
            {"reference": f"Communication/{_fhir_id('message', record.in_response_to)}"}
        ]
    if record.status_reason is not None:
        resource["statusReason"] = {"text": record.status_reason}
    if record.reply_label is not None:
        resource["topic"] = {
            "coding": [
                {
                    "system": context.system("CodeSystem", "reply-label"),
                    "code": record.reply_label.value,
                }
            ]
        }
    return resource


_PRIORITY = {Label.RED: ("PH", "High priority"), Label.AMBER: ("PM", "Medium priority")}


def build_flag(record: AlertRecord, context: FhirContext) -> dict[str, Any]:
    """A UK Core Flag for an alert: its level (code and priority) and its outcome so far."""
    if record.level not in _PRIORITY:
        raise ValueError(f"an alert is red or amber, not {record.level}")
    priority, priority_display = _PRIORITY[record.level]
    outcome: list[dict[str, Any]] = [{"url": "state", "valueCode": record.state.value}]
    if record.acknowledged_at is not None:
        outcome.append({"url": "acknowledged", "valueDateTime": _instant(record.acknowledged_at)})
    if record.resolved_at is not None:
        outcome.append({"url": "resolved", "valueDateTime": _instant(record.resolved_at)})
    if record.outcome:
        outcome.append({"url": "note", "valueString": record.outcome})
    extensions: list[dict[str, Any]] = [
        {
            "url": FLAG_PRIORITY_EXTENSION,
            "valueCodeableConcept": {
                "coding": [
                    {"system": FLAG_PRIORITY_CODES, "code": priority, "display": priority_display}
                ]
            },
        },
        {"url": context.system("StructureDefinition", "alert-outcome"), "extension": outcome},
    ]
    if record.reply_message_id is not None:
        extensions.append(
            {
                "url": FLAG_DETAIL_EXTENSION,
                "valueReference": {
                    "reference": f"Communication/{_fhir_id('message', record.reply_message_id)}"
                },
            }
        )
    period: dict[str, str] = {"start": _instant(record.raised_at)}
    if record.resolved_at is not None:
        period["end"] = _instant(record.resolved_at)
    return {
        "resourceType": "Flag",
        "id": _fhir_id("alert", record.alert_id),
        "meta": {"profile": [f"{UK_CORE}/UKCore-Flag"]},
        "extension": extensions,
        "identifier": [{"system": context.system("Id", "alert"), "value": record.alert_id}],
        "status": "inactive" if record.state is AlertState.RESOLVED else "active",
        "category": [
            {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}
        ],
        "code": {
            "coding": [
                {
                    "system": context.system("CodeSystem", "alert-level"),
                    "code": record.level.value,
                    "display": f"{record.level.value} alert",
                }
            ],
        },
        "subject": _patient_reference(record.nhs_number),
        "period": period,
        "author": _trust_reference(context),
    }
