"""What a trust configures, validated: one YAML file per trust (see examples/trust.yaml)."""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from schema.identifiers import (
    UK_COUNTRY_CODE,
    InvalidIdentifier,
    check_email,
    parse_mobile,
    parse_phone,
)
from schema.vocabulary import ALERT_LEVELS

_DURATION = re.compile(r"^\s*(\d+)\s*([wdhm])\s*$")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ChannelName = Literal["sms", "email"]
Language = Literal["en", "cy", "pl"]
_DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match or isinstance(value, bool):
        raise ValueError("a duration such as 30m, 12h, 7d or 2w")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0d"
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds // 60}m"


def _sms_only() -> list[ChannelName]:
    return ["sms"]


def _english_only() -> list[Language]:
    return ["en"]


Duration = Annotated[
    timedelta, BeforeValidator(_parse_duration), PlainSerializer(_format_duration, return_type=str)
]


def _parse_clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 09:00 as a base-60 integer (540); take it as minutes.
        hours, minutes = divmod(value, 60)
        if 0 <= hours < 24:
            return time(hours, minutes)
    if str(value).strip() == "24:00":  # the end of the day, for a window open all day
        return time.max
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(value).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("a local time such as 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def _format_clock(value: time) -> str:
    return "24:00" if value == time.max else value.strftime("%H:%M")


Clock = Annotated[
    time, BeforeValidator(_parse_clock), PlainSerializer(_format_clock, return_type=str)
]


def _phone(value: Any) -> str:
    try:
        return parse_phone(str(value))
    except InvalidIdentifier as error:
        raise ValueError(str(error)) from None


def _mobile(value: Any) -> str:
    # Abroad or not is the trust's choice (sms.allow_international), checked once the whole
    # file is read: see reference_problems.
    try:
        return parse_mobile(str(value), allow_international=True)
    except InvalidIdentifier as error:
        raise ValueError(str(error)) from None


def _email(value: Any) -> str:
    try:
        return check_email(str(value))
    except InvalidIdentifier as error:
        raise ValueError(str(error)) from None


Phone = Annotated[str, BeforeValidator(_phone)]
Mobile = Annotated[str, BeforeValidator(_mobile)]
Email = Annotated[str, BeforeValidator(_email)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sender(Strict):
    """One sender: a number or a messaging service. It must take replies."""

    from_number: Phone | None = None
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    reply_numbers: list[Phone] = Field(default_factory=list)

    @field_validator("from_number", mode="before")
    @classmethod
    def _refuse_alphanumeric(cls, value: Any) -> Any:
        if isinstance(value, str) and re.search(r"[A-Za-z]", value):
            raise ValueError(
                "an alphanumeric sender ID is one-way in the UK, so patients could not reply; "
                "use a mobile number (long code), a short code or a messaging service"
            )
        return value

    @model_validator(mode="after")
    def _one_sender(self) -> Self:
        if (self.from_number is None) == (self.messaging_service_sid is None):
            raise ValueError("give exactly one of from_number or messaging_service_sid")
        if self.messaging_service_sid and not self.reply_numbers:
            raise ValueError(
                "a messaging service needs reply_numbers: the numbers replies arrive on"
            )
        return self

    @property
    def own_numbers(self) -> list[str]:
        numbers = list(self.reply_numbers)
        if self.from_number and self.from_number not in numbers:
            numbers.insert(0, self.from_number)
        return numbers

    @property
    def key(self) -> str:
        """What identifies the sender at the provider (its queue there): the service or number."""
        return self.messaging_service_sid or self.from_number or ""


class SmsSender(Sender):
    """Where SMS come from. Bulk (check-ins) uses the sender above; staff alerts and patients'
    urgent advice use `alert_sender` when one is set, so they never queue behind bulk at the
    provider (Twilio queues per sender)."""

    # Patients' and staff mobiles outside the UK and the Crown dependencies: off unless asked for.
    allow_international: bool = False
    alert_sender: Sender | None = None
    # A stale alert SMS expires at the provider after this (Twilio's validity period), is
    # reported failed, and escalation moves on. None: the service's ALERT_SMS_VALIDITY_MINUTES.
    alert_validity_minutes: int | None = Field(default=None, ge=1, le=600)
    # Bulk is paced to the bulk sender's throughput (messages a second at the provider).
    # None: the service's BULK_SMS_PER_SECOND.
    bulk_per_second: int | None = Field(default=None, ge=1, le=1000)

    @model_validator(mode="after")
    def _distinct_alert_sender(self) -> Self:
        if self.alert_sender is not None and self.alert_sender.key == self.key:
            raise ValueError("alert_sender must differ from the bulk sender, or be left out")
        return self

    @property
    def inbound_numbers(self) -> list[str]:
        """Every number replies arrive on: the bulk sender's first (the one patients are told),
        then the alert sender's (staff reply ACK to it)."""
        numbers = self.own_numbers
        if self.alert_sender is not None:
            numbers += [n for n in self.alert_sender.own_numbers if n not in numbers]
        return numbers

    def sender_for(self, urgent: bool) -> Sender:
        """The sender a message uses: the alert sender for urgent work, when there is one."""
        return self.alert_sender if urgent and self.alert_sender is not None else self


class Contacts(Strict):
    """Numbers shown to patients in every message."""

    mscc_coordinator: Phone = Field(description="24-hour MSCC coordinator line")
    acute_oncology: Phone
    out_of_hours: Phone


class SendWindow(Strict):
    start: Clock = time(9, 0)
    end: Clock = time(20, 0)
    days: list[Day] = Field(default_factory=lambda: list(_DAYS), min_length=1)

    @model_validator(mode="after")
    def _start_before_end(self) -> Self:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(_DAYS.index(day) for day in self.days)


class Staff(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=200)
    role: Literal["coordinator", "admin", "escalation"] = "coordinator"
    phone: Mobile | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.phone is None and self.email is None:
            raise ValueError("a staff member needs a phone or an email to be reached")
        return self


ROLE_PREFIX = "role:"
# A staff member's key, or `role:<rota>`: whoever the trust's rota has on that role when the
# step fires.
Recipient = Annotated[str, Field(pattern=r"^(role:)?[a-z][a-z0-9_]{0,63}$")]


def role_of(recipient: str) -> str | None:
    """The rota a step's recipient names (`role:on_duty_coordinator`), or None for a person."""
    return recipient.removeprefix(ROLE_PREFIX) if recipient.startswith(ROLE_PREFIX) else None


class EscalationStep(Strict):
    notify: list[Recipient] = Field(min_length=1)
    minutes: int = Field(gt=0, le=24 * 60, description="minutes before the next step")
    call: bool = Field(
        default=False,
        description="also phone each person reached; a call not answered with 1 moves on at once",
    )


class EscalationChain(Strict):
    steps: list[EscalationStep] = Field(min_length=1)
    repeat_every_minutes: int = Field(gt=0, le=24 * 60)


class Escalation(Strict):
    red: EscalationChain
    amber: EscalationChain
    remind_unresolved_after_hours: int = Field(default=4, gt=0, le=72)


class ScheduleStep(Strict):
    template: Key
    offset: Duration = timedelta(0)
    every: Duration | None = None
    until: Duration | None = None
    channels: list[ChannelName] = Field(default_factory=_sms_only, min_length=1)

    @field_validator("every")
    @classmethod
    def _at_least_a_day(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(days=1):
            raise ValueError("repeat at most once a day")
        return value

    @model_validator(mode="after")
    def _until_after_offset(self) -> Self:
        if self.until is not None and self.every is None:
            raise ValueError("until needs every")
        if self.until is not None and self.until < self.offset:
            raise ValueError("until must not be before offset")
        return self


class Cohort(Strict):
    key: Key
    name: str = Field(min_length=1)
    schedule: list[ScheduleStep] = Field(min_length=1)


class Replies(Strict):
    thank_you_for_none: bool = False


class ReviewDeadlines(Strict):
    """When a reply on the review list must have been read, and whom beat tells when it is due
    and then, while it is overdue, each later step once (the last step repeats)."""

    urgent_within_minutes: int = Field(default=30, gt=0, le=24 * 60)
    routine_by: Clock = time(10, 0)  # local time on the next working day
    working_days: list[Day] = Field(
        default_factory=lambda: list(_DAYS[:5]), min_length=1, description="routine reviews"
    )
    # None: the amber chain's steps (who is told, and how long each waits before the next).
    steps: list[EscalationStep] | None = None


class Retention(Strict):
    """How long each kind of identifying content is kept (None: until erased). The history
    stays without it: counts, states, times, labels, symptom codes, outcomes and the audit.

    Message bodies and reply bodies count from the event (sent, received); a reply's body and
    the triage evidence quoting it are kept while a person still has to act on it (an open
    review or alert). Addresses on messages count from the event, a patient's own phone number
    and email from their discharge."""

    message_bodies: Duration | None = None  # rendered texts sent (and their write-back copies)
    reply_bodies: Duration | None = None  # what patients and others wrote to us
    contact_details: Duration | None = None  # phone numbers and emails
    triage_evidence: Duration | None = None  # the evidence that quotes a reply's words

    @field_validator("message_bodies", "reply_bodies", "contact_details", "triage_evidence")
    @classmethod
    def _at_least_a_day(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value < timedelta(days=1):
            raise ValueError("at least 1d: a shorter period would purge work still in hand")
        return value


_DIGEST = r"^[0-9a-f]{12}$"


class TranslationSignOff(Strict):
    """The trust's clinical and translation sign-off of one language's patient wording. Each
    template is signed off as the words it had (the digest `safetynet messages check` and the
    trust page show): changed wording awaits sign-off again."""

    clinical: str = Field(min_length=1, max_length=200)  # who signed off the clinical content
    translation: str = Field(min_length=1, max_length=200)  # who signed off the translation
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    templates: dict[Key, Annotated[str, Field(pattern=_DIGEST)]] = Field(default_factory=dict)


# -- Rotas: who is on each role, in the trust's local time ------------------------------------

_SHIFT = re.compile(
    r"^\s*(?P<days>[a-z][a-z ,-]*?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})"
    r"\s*:\s*(?P<staff>\S+)\s*$"
)
SHIFT_EXAMPLE = "a shift such as 'mon-fri 08:00-18:00: asha'"


def _parse_days(value: Any) -> Any:
    """`mon-fri`, `sat,sun`, `fri-mon` (a range may wrap), `daily`, or a list of days."""
    if not isinstance(value, str):
        return value
    days: list[Day] = []
    for part in (p.strip() for p in value.lower().split(",")):
        if part in ("daily", "every day"):
            days.extend(_DAYS)
            continue
        first, _, last = part.partition("-")
        index = {day: i for i, day in enumerate(_DAYS)}
        if first not in index or (last and last not in index):
            raise ValueError(f"days such as mon-fri, sat,sun or daily, not {part!r}")
        i, j = index[first], index[last or first]
        days.extend(_DAYS[(i + k) % 7] for k in range((j - i) % 7 + 1))
    return list(dict.fromkeys(days))


def _parse_local_datetime(value: Any) -> datetime:
    """A local wall-clock time with no zone (the trust's zone applies): 2026-12-24 18:00."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("a local time without a zone, such as 2026-12-24 18:00")
        return value
    try:
        parsed = datetime.strptime(str(value).strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError("a local date and time such as 2026-12-24 18:00") from None
    return parsed


LocalDateTime = Annotated[
    datetime,
    BeforeValidator(_parse_local_datetime),
    PlainSerializer(lambda value: value.strftime("%Y-%m-%d %H:%M"), return_type=str),
]


def minutes_of(clock: time) -> int:
    """Minutes since midnight; 24:00 (the end of the day) is 1440."""
    return 24 * 60 if clock == time.max else clock.hour * 60 + clock.minute


class Shift(Strict):
    """A weekly shift on a role. It belongs to the day it starts on; an end at or before its
    start is the next day (a night: `mon-fri 18:00-08:00`), and an end equal to its start is a
    24-hour shift (`daily 09:00-09:00`)."""

    days: Annotated[list[Day], BeforeValidator(_parse_days)] = Field(min_length=1)
    start: Clock
    end: Clock
    staff: Key

    @model_validator(mode="before")
    @classmethod
    def _from_one_line(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        match = _SHIFT.match(value)
        if match is None:
            raise ValueError(SHIFT_EXAMPLE)
        return match.groupdict()

    @model_validator(mode="after")
    def _starts_within_the_day(self) -> Self:
        if self.start == time.max:
            raise ValueError("a shift starts by 23:59; 24:00 can only end one")
        return self

    @property
    def start_minutes(self) -> int:
        return minutes_of(self.start)

    @property
    def length_minutes(self) -> int:
        """In wall-clock minutes: the hours a clock change adds or takes are real time's."""
        length = minutes_of(self.end) - self.start_minutes
        return length if length > 0 else length + 24 * 60

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(_DAYS.index(day) for day in self.days)


class RotaOverride(Strict):
    """One-off cover, in local time: `staff` alone is on the role from `start` to `end`, or, with
    `instead_of`, a swap: `staff` takes only that person's shifts in the period."""

    start: LocalDateTime
    end: LocalDateTime
    staff: Key
    instead_of: Key | None = None
    reason: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _makes_sense(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.instead_of == self.staff:
            raise ValueError("instead_of must be someone else")
        return self


class Rota(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    shifts: list[Shift] = Field(default_factory=list)
    overrides: list[RotaOverride] = Field(default_factory=list)


class VoiceSender(Strict):
    """The number escalation calls come from (a Twilio number that can make voice calls)."""

    from_number: Phone


# --- Alert outcomes (issue 18) --------------------------------------------------------------


class Outcome(Strict):
    """One answer to "what happened?" when a coordinator resolves an alert, counted in the
    monthly audit report (NICE NG234 1.1.2: incidence, timeliness of management, outcomes)."""

    key: Key
    name: str = Field(min_length=1, max_length=100)


DEFAULT_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("advised_by_phone", "Advised by phone"),
    ("seen_same_day", "Seen the same day"),
    ("mri_arranged", "MRI arranged"),
    ("admitted", "Admitted"),
    ("mscc_confirmed", "MSCC confirmed"),
    ("spinal_mets_no_compression", "Spinal metastases without compression"),
    ("no_spinal_cause", "No spinal cause"),
    ("could_not_contact", "Could not contact the patient"),
)


def _default_outcomes() -> list[Outcome]:
    return [Outcome(key=key, name=name) for key, name in DEFAULT_OUTCOMES]


# -- NHS integration (issue 16): which markers mean which cohort, the ADT feed, write-back -----

# What a cohort rule can match on: the kinds of messages.patient_events.MarkerKind (a test keeps
# the two lists equal; schema imports nothing of messages).
MARKER_KINDS = (
    "location",
    "facility",
    "specialty",
    "patient_class",
    "patient_type",
    "alert",
    "episode_type",
    "flag_code",
)
CODED_MARKERS = frozenset({"episode_type", "flag_code"})  # FHIR codings: they have a system
_FIELD_PATH = re.compile(r"^[A-Z][A-Z0-9]{2}-[1-9]\d{0,2}(\.[1-9]\d?)?$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
Code = Annotated[str, Field(min_length=1, max_length=100)]


class CohortRule(Strict):
    """One marker in an ADT or FHIR message that means one cohort, such as
    `{specialty: "800", cohort: spinal_mets}`. Rules are tried in order; the first match wins."""

    cohort: Key
    location: Code | None = None  # PV1-3.1: the clinic or ward
    facility: Code | None = None  # PV1-3.4
    specialty: Code | None = None  # PV1-10: the treatment function code
    patient_class: Code | None = None  # PV1-2
    patient_type: Code | None = None  # PV1-18
    alert: Code | None = None  # a code in one of hl7.alert_fields
    episode_type: Code | None = None  # FHIR EpisodeOfCare.type coding
    flag_code: Code | None = None  # FHIR Flag.code coding
    system: str | None = Field(default=None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _one_marker(self) -> Self:
        given = [kind for kind in MARKER_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(MARKER_KINDS)} (and the cohort)")
        if self.system is not None and given[0] not in CODED_MARKERS:
            raise ValueError("system goes only with episode_type or flag_code")
        return self

    @property
    def marker(self) -> tuple[str, str]:
        kind = next(kind for kind in MARKER_KINDS if getattr(self, kind) is not None)
        return kind, str(getattr(self, kind))


class Hl7Feed(Strict):
    """The trust's ADT feed (`safetynet hl7 listen`)."""

    sending_facilities: list[Code] = Field(min_length=1)  # MSH-4 (MSH-3 when empty) accepted
    accept_test_messages: bool = False  # also apply MSH-11 = T: test environments only
    alert_fields: list[str] = Field(default_factory=list)  # where the PAS puts alert codes

    @field_validator("alert_fields")
    @classmethod
    def _fields(cls, value: list[str]) -> list[str]:
        for text in value:
            if not _FIELD_PATH.match(text):
                raise ValueError(f"{text!r} is not a field such as ZAL-3 or OBX-5.1")
        return value


class WriteBack(Strict):
    """Where each message, reply and alert is written back (signed callbacks), if anywhere.
    The secret is never in this file: it is read from an environment variable or a file."""

    callback_url: str | None = Field(default=None, max_length=500)
    secret_env: str | None = None
    secret_file: str | None = None

    @field_validator("callback_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urllib.parse.urlsplit(value)
        loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
        if not parts.hostname or not (parts.scheme == "https" or loopback):
            raise ValueError("an https address (http only to 127.0.0.1, for tests)")
        return value

    @field_validator("secret_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("the name of an environment variable, such as RXX_CALLBACK_SECRET")
        return value

    @model_validator(mode="after")
    def _secret_with_url(self) -> Self:
        secrets = (self.secret_env is not None) + (self.secret_file is not None)
        if self.callback_url is not None and secrets != 1:
            raise ValueError("a callback_url needs exactly one of secret_env or secret_file")
        if self.callback_url is None and secrets:
            raise ValueError("a secret without a callback_url signs nothing")
        return self


class Integration(Strict):
    cohort_rules: list[CohortRule] = Field(default_factory=list)
    hl7: Hl7Feed | None = None  # None: this trust takes no ADT feed
    write_back: WriteBack | None = None  # None: nothing is written back

    def cohort_for(self, markers: list[tuple[str, str, str | None]]) -> str | None:
        """The cohort of the first rule matching any (kind, code, system) marker given."""
        for rule in self.cohort_rules:
            kind, code = rule.marker
            for marker_kind, marker_code, system in markers:
                same_system = rule.system is None or rule.system == system
                if marker_kind == kind and marker_code == code and same_system:
                    return rule.cohort
        return None


class TrustConfig(Strict):
    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name: str = Field(min_length=1, max_length=200)
    timezone: str = "Europe/London"
    languages: list[Language] = Field(default_factory=_english_only)
    sms: SmsSender
    contacts: Contacts
    send_window: SendWindow = Field(default_factory=SendWindow)
    staff: list[Staff] = Field(min_length=1)
    escalation: Escalation
    cohorts: list[Cohort] = Field(min_length=1)
    replies: Replies = Field(default_factory=Replies)
    review: ReviewDeadlines = Field(default_factory=ReviewDeadlines)
    rotas: dict[Key, Rota] = Field(default_factory=dict)
    voice: VoiceSender | None = None
    outcomes: list[Outcome] = Field(default_factory=_default_outcomes, min_length=1)
    integration: Integration = Field(default_factory=Integration)
    translation_sign_off: dict[Language, TranslationSignOff] = Field(default_factory=dict)
    retention: Retention = Field(default_factory=Retention)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone: {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cohort(self, key: str) -> Cohort | None:
        return next((c for c in self.cohorts if c.key == key), None)

    def staff_member(self, key: str) -> Staff | None:
        return next((s for s in self.staff if s.key == key), None)

    def chain(self, level: str) -> EscalationChain:
        chain: EscalationChain = getattr(self.escalation, level)
        return chain

    def review_steps(self) -> list[EscalationStep]:
        """Who is told about a due review (step 1) and then an overdue one (each later step)."""
        return self.review.steps if self.review.steps else list(self.chain("amber").steps)

    def outcome(self, key: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.key == key), None)

    def template_keys(self) -> set[str]:
        return {step.template for cohort in self.cohorts for step in cohort.schedule}

    def role_name(self, role: str) -> str:
        rota = self.rotas.get(role)
        return rota.name if rota is not None and rota.name else role.replace("_", " ")

    def roles_in_chains(self) -> list[str]:
        """Every rota an escalation step names, in the order the chains first name them."""
        roles: dict[str, None] = {}
        for level in ALERT_LEVELS:
            for step in self.chain(level).steps:
                roles.update(dict.fromkeys(r for r in map(role_of, step.notify) if r))
        return list(roles)


Location = tuple[int | str, ...]
UK_PREFIX = f"+{UK_COUNTRY_CODE}"


def reference_problems(config: TrustConfig) -> list[tuple[Location, str]]:
    """Keys that must be unique and names that must resolve, each with where it is written."""
    problems: list[tuple[Location, str]] = []
    for field, keys in (
        ("staff", [s.key for s in config.staff]),
        ("cohorts", [c.key for c in config.cohorts]),
        ("outcomes", [o.key for o in config.outcomes]),
    ):
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key in seen:
                problems.append(((field, i, "key"), f"key {key!r} is used twice"))
            seen.add(key)
    problems += _cohort_rule_problems(config)
    if not config.sms.allow_international:
        for i, member in enumerate(config.staff):
            if member.phone is not None and not member.phone.startswith(UK_PREFIX):
                problems.append(
                    (
                        ("staff", i, "phone"),
                        "not a UK mobile; set sms.allow_international: true to send abroad",
                    )
                )
    staff = {s.key for s in config.staff}
    for level in ALERT_LEVELS:
        for i, step in enumerate(config.chain(level).steps):
            where: Location = ("escalation", level, "steps", i)
            for j, key in enumerate(step.notify):
                problem = _recipient_problem(config, staff, key)
                if problem:
                    problems.append(((*where, "notify", j), problem))
            if step.call and config.voice is None:
                problem = "a call step needs voice.from_number, the number to call from"
                problems.append(((*where, "call"), problem))
    return problems + _review_problems(config, staff) + _rota_problems(config, staff)


def _review_problems(config: TrustConfig, staff: set[str]) -> list[tuple[Location, str]]:
    """Everyone the review steps name is one of the trust's staff, or a rota of the trust."""
    return [
        (("review", "steps", i, "notify", j), problem)
        for i, step in enumerate(config.review.steps or [])
        for j, key in enumerate(step.notify)
        if (problem := _recipient_problem(config, staff, key))
    ]


def _cohort_rule_problems(config: TrustConfig) -> list[tuple[Location, str]]:
    """Every cohort rule of the integration names one of the trust's cohorts."""
    cohorts = {c.key for c in config.cohorts}
    return [
        (("integration", "cohort_rules", i, "cohort"), f"no cohort {rule.cohort!r}")
        for i, rule in enumerate(config.integration.cohort_rules)
        if rule.cohort not in cohorts
    ]


def _recipient_problem(config: TrustConfig, staff: set[str], recipient: str) -> str | None:
    role = role_of(recipient)
    if role is None:
        return None if recipient in staff else f"no staff member {recipient!r}"
    return None if role in config.rotas else f"no rota {role!r} (add it under rotas)"


def _rota_problems(config: TrustConfig, staff: set[str]) -> list[tuple[Location, str]]:
    """Every person a rota puts on shift or in cover must be one of the trust's staff."""
    problems: list[tuple[Location, str]] = []
    for role, rota in config.rotas.items():
        named: list[tuple[Location, str | None]] = [
            (("rotas", role, "shifts", i, "staff"), shift.staff)
            for i, shift in enumerate(rota.shifts)
        ]
        for i, cover in enumerate(rota.overrides):
            named.append((("rotas", role, "overrides", i, "staff"), cover.staff))
            named.append((("rotas", role, "overrides", i, "instead_of"), cover.instead_of))
        problems.extend(
            (where, f"no staff member {key!r}")
            for where, key in named
            if key is not None and key not in staff
        )
    return problems
