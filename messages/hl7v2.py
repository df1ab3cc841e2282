"""HL7v2 ADT in (version 2.4, as most English trusts send; 2.3 to 2.5.1 read the same), ACK out.

PURE: no database, no network, no clock (times are passed in). Parsing uses python-hl7 (`hl7`):
it reads any well-formed v2.x message, Z-segments and local quirks included, and leaves the
checking to us, which is what lets every error name its segment and field ("PID-3: no NHS
number"). hl7apy validates message structures against each version's tables instead; trusts'
feeds routinely stray from them, and it parsed an ADT^A01 25 times slower here (5 ms against
0.2 ms).

`parse_adt` gives an `AdtEvent` or raises `Hl7ValidationError` (every problem found, each naming
its field) or `UnhandledEvent` (an ADT event this service does not act on, acknowledged `AA`).
`build_ack` writes the ACK: MSA-1 `AA`, `AE` (a field is wrong) or `AR` (the message cannot be
processed at all), MSA-2 the control id, and one ERR segment per error (v2.4's ERR-1 and v2.5's
ERR-2/3/4/8, so both kinds of receiver can read it).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import hl7

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

LONDON = ZoneInfo("Europe/London")
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
ACK_APPLICATION = "SAFETYNET"
MAX_CONTROL_ID = 20  # MSH-10 is ST(20) in v2.4
HL7_NULL = '""'  # "present and blank": for us, absent

# Where a PatientEvent's enrolment fields come from, for `missing_for_enrolment`.
ENROLMENT_FIELDS = {"family_name": "PID-5.1", "given_name": "PID-5.2", "mobile": "PID-13"}


class AdtTrigger(StrEnum):
    A01 = "A01"  # admit
    A03 = "A03"  # discharge
    A04 = "A04"  # register an outpatient
    A08 = "A08"  # update patient information
    A11 = "A11"  # cancel admit / visit
    A13 = "A13"  # cancel discharge
    A40 = "A40"  # merge patient: identifier list


_ACTIONS = {
    AdtTrigger.A01: PatientAction.ENROL_OR_UPDATE,
    AdtTrigger.A04: PatientAction.ENROL_OR_UPDATE,
    AdtTrigger.A08: PatientAction.ENROL_OR_UPDATE,
    AdtTrigger.A03: PatientAction.DISCHARGE,
    AdtTrigger.A11: PatientAction.CANCEL_ENROLMENT,
    AdtTrigger.A13: PatientAction.CANCEL_DISCHARGE,
    AdtTrigger.A40: PatientAction.MERGE,
}


class AckCode(StrEnum):
    AA = "AA"  # accepted
    AE = "AE"  # application error: the content is wrong (a field named in ERR)
    AR = "AR"  # application reject: cannot be processed at all (type, version, header)


class ErrorCode(StrEnum):
    """HL7 table 0357, the codes ERR carries."""

    SEGMENT_SEQUENCE = "100"
    REQUIRED_FIELD_MISSING = "101"
    DATA_TYPE = "102"
    TABLE_VALUE_NOT_FOUND = "103"
    UNSUPPORTED_MESSAGE_TYPE = "200"
    UNSUPPORTED_EVENT = "201"
    UNSUPPORTED_VERSION = "203"
    INTERNAL_ERROR = "207"


_ERROR_TEXT = {
    ErrorCode.SEGMENT_SEQUENCE: "Segment sequence error",
    ErrorCode.REQUIRED_FIELD_MISSING: "Required field missing",
    ErrorCode.DATA_TYPE: "Data type error",
    ErrorCode.TABLE_VALUE_NOT_FOUND: "Table value not found",
    ErrorCode.UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    ErrorCode.UNSUPPORTED_EVENT: "Unsupported event code",
    ErrorCode.UNSUPPORTED_VERSION: "Unsupported version id",
    ErrorCode.INTERNAL_ERROR: "Application internal error",
}


@dataclass(frozen=True)
class Hl7FieldError(FieldError):
    """A FieldError that also knows its place in HL7 terms, for the ERR segment."""

    segment: str = ""
    field: int | None = None
    repetition: int | None = None
    component: int | None = None
    code: ErrorCode = ErrorCode.DATA_TYPE


def field_error(
    segment: str,
    field: int | None,
    message: str,
    code: ErrorCode = ErrorCode.DATA_TYPE,
    *,
    repetition: int | None = None,
    component: int | None = None,
) -> Hl7FieldError:
    """An error named like `PID-3`, `PID-5.1` or `PID-13[2].4` (repetitions count from 1)."""
    location = segment
    if field is not None:
        location += f"-{field}"
        if repetition is not None:
            location += f"[{repetition}]"
        if component is not None:
            location += f".{component}"
    return Hl7FieldError(location, message, segment, field, repetition, component, code)


@dataclass(frozen=True)
class MessageHeader:
    """MSH as sent. Fields may be empty when the header itself is what is wrong."""

    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    message_type: str = ""  # MSH-9.1
    trigger_event: str = ""  # MSH-9.2
    control_id: str = ""  # MSH-10
    processing_id: str = ""  # MSH-11: P production, T training, D debugging
    version: str = ""  # MSH-12
    character_set: str = ""  # MSH-18

    @property
    def sender(self) -> str:
        """Who sent it, for idempotency with the control id: MSH-4, else MSH-3."""
        return self.sending_facility or self.sending_application


class Hl7ValidationError(InvalidMessage):
    """Nothing may change. Answer with `build_ack(error.header, error.ack_code, errors=...)`."""

    def __init__(
        self,
        errors: Sequence[Hl7FieldError],
        ack_code: AckCode = AckCode.AE,
        header: MessageHeader | None = None,
    ) -> None:
        super().__init__(errors)
        self.hl7_errors: tuple[Hl7FieldError, ...] = tuple(errors)
        self.ack_code = ack_code
        self.header = header


class UnhandledEvent(Exception):
    """A well-formed ADT event this service does not act on (A02, A05, A31...): answer `AA`."""

    def __init__(self, header: MessageHeader) -> None:
        super().__init__(f"ADT {header.trigger_event} is not used by this service")
        self.header = header


@dataclass(frozen=True)
class Identifier:
    """One PID-3 or MRG-1 repetition (CX)."""

    value: str
    assigning_authority: str = ""  # CX.4
    type_code: str = ""  # CX.5: NH for an NHS number, MR for a hospital number


@dataclass(frozen=True)
class Visit:
    patient_class: str | None = None  # PV1-2
    location: str | None = None  # PV1-3.1 point of care: the clinic or ward
    facility: str | None = None  # PV1-3.4
    hospital_service: str | None = None  # PV1-10: the specialty (treatment function code)
    patient_type: str | None = None  # PV1-18
    visit_number: str | None = None  # PV1-19.1
    admitted_at: datetime | None = None  # PV1-44
    discharged_at: datetime | None = None  # PV1-45


@dataclass(frozen=True)
class FieldPath:
    """A trust-chosen place to read codes from, such as `ZAL-3` or `OBX-5.1`."""

    segment: str
    field: int
    component: int = 1

    def __str__(self) -> str:
        return f"{self.segment}-{self.field}" + (f".{self.component}" if self.component > 1 else "")


_FIELD_PATH = re.compile(r"^([A-Z][A-Z0-9]{2})-([1-9]\d{0,2})(?:\.([1-9]\d?))?$")


def parse_field_path(text: str) -> FieldPath:
    """`SEG-N` or `SEG-N.C`; a ValueError saying what is expected otherwise (for trust config)."""
    match = _FIELD_PATH.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a field such as ZAL-3 or OBX-5.1")
    segment, number, component = match.groups()
    return FieldPath(segment, int(number), int(component or 1))


@dataclass(frozen=True)
class AdtEvent:
    header: MessageHeader
    trigger: AdtTrigger
    recorded_at: datetime | None  # EVN-2
    occurred_at: datetime | None  # EVN-6, else EVN-2
    patient: PatientDetails
    identifiers: tuple[Identifier, ...]  # every PID-3 repetition
    nhs_number_status: str | None  # PID-32 (the NHS number's verification status in ITK)
    visit: Visit | None
    alert_codes: tuple[str, ...] = ()
    merged_nhs_number: str | None = None  # A40: MRG-1, the record merged away
    merged_identifiers: tuple[Identifier, ...] = ()

    @property
    def action(self) -> PatientAction:
        return _ACTIONS[self.trigger]

    @property
    def markers(self) -> tuple[Marker, ...]:
        found: list[Marker] = []
        if self.visit is not None:
            for kind, value in (
                (MarkerKind.LOCATION, self.visit.location),
                (MarkerKind.FACILITY, self.visit.facility),
                (MarkerKind.SPECIALTY, self.visit.hospital_service),
                (MarkerKind.PATIENT_CLASS, self.visit.patient_class),
                (MarkerKind.PATIENT_TYPE, self.visit.patient_type),
            ):
                if value:
                    found.append(Marker(kind, value))
        found.extend(Marker(MarkerKind.ALERT, code) for code in self.alert_codes)
        return tuple(found)

    def to_patient_event(self) -> PatientEvent:
        return PatientEvent(
            source="hl7v2",
            sender=self.header.sender,
            message_id=self.header.control_id,
            action=self.action,
            occurred_at=self.occurred_at,
            patient=self.patient,
            markers=self.markers,
            merged_nhs_number=self.merged_nhs_number,
        )

    def missing_for_enrolment(self) -> tuple[FieldError, ...]:
        """What enrolling this patient would need that the message lacks (PID-5, PID-13)."""
        return missing_for_enrolment(self.to_patient_event(), ENROLMENT_FIELDS)


# -- decoding -------------------------------------------------------------------------------

_CHARSETS = {
    "": "utf-8",
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "UNICODE": "utf-8",  # NHS ITK v2.4 sends UNICODE meaning UTF-8
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
}


def codec_for(character_set: str) -> str:
    """The Python codec for an MSH-18 value; UTF-8 for one we do not know (for writing ACKs)."""
    return _CHARSETS.get(character_set.strip().upper(), "utf-8")


def decode(raw: bytes) -> str:
    """The message as text, in the character set MSH-18 names (UTF-8 when it names none)."""
    header_end = min((i for i in (raw.find(b"\r"), raw.find(b"\n")) if i >= 0), default=len(raw))
    header = raw[:header_end].decode("latin-1")
    charset = ""
    if header.startswith("MSH") and len(header) > 4:
        fields = header.split(header[3])
        if len(fields) > 17:
            charset = fields[17].split(header[4])[0]
    codec = _CHARSETS.get(charset.strip().upper())
    if codec is None:
        raise Hl7ValidationError(
            [field_error("MSH", 18, f"character set {charset!r} is not supported")],
            AckCode.AR,
        )
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        raise Hl7ValidationError(
            [field_error("MSH", 18, f"the message is not valid {codec}")], AckCode.AR
        ) from None


# -- reading fields ---------------------------------------------------------------------------


def _value(segment: Any, field: int, component: int = 1, repetition: int = 1) -> str:
    """A field's unescaped text, or "" when absent (or sent as HL7's explicit null)."""
    try:
        value = segment.extract_field(1, field, repetition, component, 1)
    except (IndexError, KeyError):
        return ""
    text = str(value).strip()
    return "" if text == HL7_NULL else text


def _repetitions(segment: Any, field: int) -> int:
    if field >= len(segment):
        return 0
    return len(segment(field))


def _segments(message: Any, name: str) -> list[Any]:
    try:
        return list(message.segments(name))
    except KeyError:
        return []


_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,4}))?)?([+-]\d{4})?$")


def parse_timestamp(text: str, zone: tzinfo) -> datetime:
    """An HL7 TS (YYYYMMDD[HHMM[SS[.SSSS]]][+ZZZZ]) as an aware datetime; local `zone` when the
    value carries no offset. ValueError when it is not one."""
    match = _TS.match(text)
    if not match:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    tz: tzinfo = zone
    if offset:
        sign = 1 if offset[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    value = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )
    return value


class _Reader:
    """Collects errors while reading, so one reply can name everything that is wrong."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self.errors: list[Hl7FieldError] = []

    def fail(self, error: Hl7FieldError) -> None:
        self.errors.append(error)

    def timestamp(self, segment: Any, name: str, field: int) -> datetime | None:
        text = _value(segment, field)
        if not text:
            return None
        try:
            return parse_timestamp(text, self.zone)
        except ValueError:
            self.fail(field_error(name, field, "not a date and time (YYYYMMDDHHMM[SS])"))
            return None


# -- the header -----------------------------------------------------------------------------


def _header(message: Any) -> MessageHeader:
    msh = message.segment("MSH")
    return MessageHeader(
        sending_application=_value(msh, 3),
        sending_facility=_value(msh, 4),
        receiving_application=_value(msh, 5),
        receiving_facility=_value(msh, 6),
        message_type=_value(msh, 9, 1),
        trigger_event=_value(msh, 9, 2),
        control_id=_value(msh, 10),
        processing_id=_value(msh, 11),
        version=_value(msh, 12),
        character_set=_value(msh, 18),
    )


def _check_header(header: MessageHeader) -> None:
    errors = []
    if not header.control_id:
        errors.append(
            field_error("MSH", 10, "no message control id", ErrorCode.REQUIRED_FIELD_MISSING)
        )
    elif len(header.control_id) > 199:
        errors.append(field_error("MSH", 10, "message control id longer than 199 characters"))
    if not header.sender:
        errors.append(
            field_error("MSH", 4, "no sending facility", ErrorCode.REQUIRED_FIELD_MISSING)
        )
    if header.message_type != "ADT":
        errors.append(
            field_error(
                "MSH",
                9,
                f"message type {header.message_type or '(none)'} is not ADT",
                ErrorCode.UNSUPPORTED_MESSAGE_TYPE,
                component=1,
            )
        )
    if header.version not in SUPPORTED_VERSIONS:
        errors.append(
            field_error(
                "MSH",
                12,
                f"version {header.version or '(none)'} is not supported "
                f"({', '.join(SUPPORTED_VERSIONS)})",
                ErrorCode.UNSUPPORTED_VERSION,
            )
        )
    if errors:
        raise Hl7ValidationError(errors, AckCode.AR, header)


# -- the patient ----------------------------------------------------------------------------


def _identifiers(segment: Any, name: str, field: int) -> list[tuple[int, Identifier]]:
    found = []
    for repetition in range(1, _repetitions(segment, field) + 1):
        value = _value(segment, field, 1, repetition)
        if value:
            identifier = Identifier(
                value=value,
                assigning_authority=_value(segment, field, 4, repetition),
                type_code=_value(segment, field, 5, repetition),
            )
            found.append((repetition, identifier))
    return found


def _is_nhs(identifier: Identifier) -> bool:
    return identifier.assigning_authority.upper() == "NHS" or identifier.type_code.upper() == "NH"


def _nhs_number(
    reader: _Reader, identifiers: list[tuple[int, Identifier]], name: str, field: int, what: str
) -> str | None:
    numbers: dict[str, int] = {}
    for repetition, identifier in identifiers:
        if not _is_nhs(identifier):
            continue
        try:
            numbers.setdefault(check_nhs_number(identifier.value), repetition)
        except InvalidIdentifier as error:
            reader.fail(
                field_error(
                    name,
                    field,
                    f"not a valid NHS number ({error})",
                    repetition=repetition,
                    component=1,
                )
            )
            return None
    if len(numbers) > 1:
        reader.fail(field_error(name, field, f"more than one NHS number for {what}"))
        return None
    if not numbers:
        reader.fail(
            field_error(
                name,
                field,
                f"no NHS number for {what} (a repetition with assigning authority NHS "
                "or identifier type NH)",
                ErrorCode.REQUIRED_FIELD_MISSING,
            )
        )
        return None
    return next(iter(numbers))


def _name(pid: Any) -> tuple[str | None, str | None]:
    chosen = 1
    for repetition in range(1, _repetitions(pid, 5) + 1):
        if _value(pid, 5, 7, repetition) in ("L", "") and _value(pid, 5, 1, repetition):
            chosen = repetition
            break
    family = _value(pid, 5, 1, chosen) or None
    given = _value(pid, 5, 2, chosen) or None
    return given, family


def _date_of_birth(reader: _Reader, pid: Any, today: date | None) -> date | None:
    text = _value(pid, 7)
    if not text:
        return None
    try:
        born = parse_timestamp(text, reader.zone).date()
    except ValueError:
        reader.fail(field_error("PID", 7, "not a date of birth (YYYYMMDD)"))
        return None
    if today is not None and born > today:
        reader.fail(field_error("PID", 7, "date of birth in the future"))
        return None
    return born


_EMAIL_EQUIPMENT = {"INTERNET", "X.400"}
_NOT_MOBILE_EQUIPMENT = {"PH", "FX", "MD", "BP", "TDD", "TTY"}


def _contacts(reader: _Reader, pid: Any) -> tuple[str | None, str | None]:
    """PID-13: the first mobile (CP first, else an unlabelled number that is a mobile), the
    first email (NET / Internet)."""
    labelled_mobile: str | None = None
    other_mobile: str | None = None
    email: str | None = None
    for repetition in range(1, _repetitions(pid, 13) + 1):
        use = _value(pid, 13, 2, repetition).upper()
        equipment = _value(pid, 13, 3, repetition).upper()
        number = _value(pid, 13, 1, repetition) or "".join(
            _value(pid, 13, component, repetition) for component in (5, 6, 7)
        )
        if use == "NET" or equipment in _EMAIL_EQUIPMENT:
            address = _value(pid, 13, 4, repetition) or number
            component = 4 if _value(pid, 13, 4, repetition) else 1
            if not address:
                continue
            try:
                checked = check_email(address)
            except InvalidIdentifier:
                reader.fail(
                    field_error(
                        "PID",
                        13,
                        "not a valid email address",
                        repetition=repetition,
                        component=component,
                    )
                )
                continue
            email = email or checked
        elif equipment == "CP":
            if not number:
                continue
            try:
                mobile = parse_mobile(number)
            except InvalidIdentifier as error:
                reader.fail(field_error("PID", 13, str(error), repetition=repetition, component=1))
                continue
            labelled_mobile = labelled_mobile or mobile
        elif number and not equipment and other_mobile is None:
            # An unlabelled landline is not ours to use, and not an error.
            with contextlib.suppress(InvalidIdentifier):
                other_mobile = parse_mobile(number)
    return labelled_mobile or other_mobile, email


def _patient(
    reader: _Reader, message: Any, today: date | None
) -> tuple[PatientDetails | None, tuple[Identifier, ...], str | None]:
    pids = _segments(message, "PID")
    if not pids:
        reader.fail(field_error("PID", None, "segment missing", ErrorCode.SEGMENT_SEQUENCE))
        return None, (), None
    pid = pids[0]
    identifiers = _identifiers(pid, "PID", 3)
    nhs_number = _nhs_number(reader, identifiers, "PID", 3, "the patient")
    given, family = _name(pid)
    born = _date_of_birth(reader, pid, today)
    mobile, email = _contacts(reader, pid)
    deceased = _value(pid, 30).upper() == "Y"
    died = reader.timestamp(pid, "PID", 29)
    restricted = any(_value(pd1, 12).upper() == "Y" for pd1 in _segments(message, "PD1"))
    if nhs_number is None:
        return None, tuple(i for _, i in identifiers), None
    details = PatientDetails(
        nhs_number=nhs_number,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        mobile=mobile,
        email=email,
        restricted=restricted,
        deceased=deceased or died is not None,
        deceased_at=died,
    )
    return details, tuple(i for _, i in identifiers), _value(pid, 32) or None


def _visit(reader: _Reader, message: Any, trigger: AdtTrigger) -> Visit | None:
    pv1s = _segments(message, "PV1")
    if not pv1s:
        if trigger != AdtTrigger.A40:
            reader.fail(field_error("PV1", None, "segment missing", ErrorCode.SEGMENT_SEQUENCE))
        return None
    pv1 = pv1s[0]
    return Visit(
        patient_class=_value(pv1, 2) or None,
        location=_value(pv1, 3, 1) or None,
        facility=_value(pv1, 3, 4) or None,
        hospital_service=_value(pv1, 10) or None,
        patient_type=_value(pv1, 18) or None,
        visit_number=_value(pv1, 19, 1) or None,
        admitted_at=reader.timestamp(pv1, "PV1", 44),
        discharged_at=reader.timestamp(pv1, "PV1", 45),
    )


def _alert_codes(message: Any, alert_fields: Sequence[FieldPath]) -> tuple[str, ...]:
    codes: list[str] = []
    for path in alert_fields:
        for segment in _segments(message, path.segment):
            for repetition in range(1, _repetitions(segment, path.field) + 1):
                code = _value(segment, path.field, path.component, repetition)
                if code and code not in codes:
                    codes.append(code)
    return tuple(codes)


def _merged(
    reader: _Reader, message: Any, survivor: str | None
) -> tuple[str | None, tuple[Identifier, ...]]:
    mrgs = _segments(message, "MRG")
    if not mrgs:
        reader.fail(field_error("MRG", None, "segment missing", ErrorCode.SEGMENT_SEQUENCE))
        return None, ()
    identifiers = _identifiers(mrgs[0], "MRG", 1)
    merged = _nhs_number(reader, identifiers, "MRG", 1, "the record merged away")
    if merged is not None and merged == survivor:
        reader.fail(field_error("MRG", 1, "the same NHS number as PID-3: nothing to merge"))
        merged = None
    return merged, tuple(i for _, i in identifiers)


# -- parsing --------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    # Segments end with CR on the wire; files and some engines use LF or CRLF.
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r\n\x00 \t")


def parse_adt(
    raw: str | bytes,
    *,
    zone: tzinfo = LONDON,
    alert_fields: Sequence[FieldPath] = (),
    today: date | None = None,
) -> AdtEvent:
    """One ADT message. `zone` reads times that carry no offset; `alert_fields` are where this
    trust puts alert codes; `today` bounds the date of birth."""
    text = _normalise(decode(raw) if isinstance(raw, bytes) else raw)
    if not text.startswith("MSH") or len(text) < 8:
        raise Hl7ValidationError(
            [
                field_error(
                    "MSH",
                    None,
                    "the message does not start with an MSH segment",
                    ErrorCode.SEGMENT_SEQUENCE,
                )
            ],
            AckCode.AR,
        )
    try:
        message = hl7.parse(text)
        header = _header(message)
    except Exception:  # python-hl7 raises a variety on malformed input; the detail is content
        raise Hl7ValidationError(
            [
                field_error(
                    "MSH", None, "the message cannot be parsed as HL7v2", ErrorCode.SEGMENT_SEQUENCE
                )
            ],
            AckCode.AR,
        ) from None
    _check_header(header)
    try:
        trigger = AdtTrigger(header.trigger_event)
    except ValueError:
        raise UnhandledEvent(header) from None

    reader = _Reader(zone)
    evn = _segments(message, "EVN")
    recorded = reader.timestamp(evn[0], "EVN", 2) if evn else None
    occurred = reader.timestamp(evn[0], "EVN", 6) if evn else None
    patient, identifiers, status = _patient(reader, message, today)
    visit = _visit(reader, message, trigger)
    merged, merged_identifiers = (
        _merged(reader, message, patient.nhs_number if patient else None)
        if trigger == AdtTrigger.A40
        else (None, ())
    )
    if reader.errors or patient is None:
        raise Hl7ValidationError(reader.errors, AckCode.AE, header)
    return AdtEvent(
        header=header,
        trigger=trigger,
        recorded_at=recorded,
        occurred_at=occurred or recorded,
        patient=patient,
        identifiers=identifiers,
        nhs_number_status=status,
        visit=visit,
        alert_codes=_alert_codes(message, alert_fields),
        merged_nhs_number=merged,
        merged_identifiers=merged_identifiers,
    )


# -- the ACK --------------------------------------------------------------------------------

_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\"))


def escape(text: str) -> str:
    """Text made safe for a field of a message with the standard `|^~\\&` separators."""
    for char, escaped in _ESCAPES:
        text = text.replace(char, escaped)
    return re.sub(r"[\r\n]+", " ", text)


def new_control_id() -> str:
    return secrets.token_hex(MAX_CONTROL_ID // 2)


def _hl7_time(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def _err_segment(error: Hl7FieldError) -> str:
    code = escape(error.code.value)
    text = escape(_ERROR_TEXT[error.code])
    segment = escape(error.segment)
    sequence = "1" if error.segment else ""
    field = str(error.field or "")
    # ERR-1 is v2.4's ELD (segment^sequence^field^code&text&table); ERR-2 v2.5's ERL
    # (segment^sequence^field^repetition^component); ERR-3 the code, ERR-4 the severity and
    # ERR-8 the sentence a person reads.
    eld = f"{segment}^{sequence}^{field}^{code}&{text}&HL70357"
    erl = "^".join(
        [segment, sequence, field, str(error.repetition or ""), str(error.component or "")]
    )
    return "|".join(
        ["ERR", eld, erl.rstrip("^"), f"{code}^{text}^HL70357", "E", "", "", "", escape(str(error))]
    )


def build_ack(
    header: MessageHeader | None,
    code: AckCode,
    *,
    now: datetime,
    errors: Sequence[Hl7FieldError] = (),
    text: str | None = None,
    ack_control_id: str | None = None,
) -> str:
    """The ACK for a message (unframed; segments end with CR). `header` may be None or partial
    when the message could not be read: the ACK then says so with what it has."""
    header = header or MessageHeader()
    msh = "|".join(
        [
            "MSH",
            "^~\\&",
            ACK_APPLICATION,
            escape(header.receiving_facility),
            escape(header.sending_application),
            escape(header.sending_facility),
            _hl7_time(now),
            "",
            f"ACK^{escape(header.trigger_event)}^ACK" if header.trigger_event else "ACK",
            escape(ack_control_id or new_control_id()),
            escape(header.processing_id or "P"),
            escape(header.version if header.version in SUPPORTED_VERSIONS else "2.4"),
        ]
    )
    summary = text if text is not None else (str(errors[0]) if errors else "")
    msa = "|".join(["MSA", code.value, escape(header.control_id), escape(summary[:80])])
    segments = [msh, msa, *(_err_segment(error) for error in errors)]
    return "\r".join(segments) + "\r"


def ack_for_error(
    error: Hl7ValidationError | UnhandledEvent, *, now: datetime, ack_control_id: str | None = None
) -> str:
    """AE/AR naming every field for an invalid message; AA (with a note) for an unhandled one."""
    if isinstance(error, UnhandledEvent):
        return build_ack(
            error.header, AckCode.AA, now=now, text=str(error), ack_control_id=ack_control_id
        )
    return build_ack(
        error.header,
        error.ack_code,
        now=now,
        errors=error.hl7_errors,
        ack_control_id=ack_control_id,
    )
