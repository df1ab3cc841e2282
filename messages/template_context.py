"""The template context: typed inputs in, plain JSON-serialisable values out.

The worker stores the context with the message and renders it at send time, so everything here
is already in the form a reader sees: numbers as written in the UK, times in the trust's zone,
symptom codes as plain words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from phonenumbers import NumberParseException

from messages.symptoms import describe_symptom, words
from schema.identifiers import display_phone
from schema.models import Patient, StaffMember
from schema.trust_config import TrustConfig
from schema.vocabulary import ALERT_LABELS


@dataclass(frozen=True)
class AlertFacts:
    """What a staff message says about one alert.

    `step` is the 1-based step of the escalation chain this message belongs to; `round` is 0 while
    the chain is walked and n for its n-th repeat after the last step. Times are aware datetimes.
    """

    code: str
    level: str  # one of ALERT_LEVELS: red or amber
    symptoms: tuple[str, ...] = ()  # triage codes such as "limb_weakness"
    reply_excerpt: str = ""
    raised_at: datetime | None = None
    step: int = 1
    acknowledged_by_name: str | None = None
    acknowledged_at: datetime | None = None
    round: int = 0
    sender: str | None = None  # an unknown sender's number (the alert has no patient)
    id: int | None = None  # for the link to the alert's page


def symptom_words() -> dict[str, str]:
    """Symptom code → words, from the one file every reader shares (messages.symptoms)."""
    return dict(words().symptoms)


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """As staff read it on a phone: 23:58 on Sun 30 Mar."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no known zone; give an aware one")
    local = moment.astimezone(zone)
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"


def nhs_number_display(digits: str) -> str:
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


# A restricted record (PDS, the PAS) shows no contact details anywhere, staff messages included.
WITHHELD = "withheld (restricted record: see the PAS)"


def _patient(patient: Patient) -> dict[str, Any]:
    return {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "id": patient.id,
        "name": f"{patient.given_name} {patient.family_name}",
        "nhs_number": nhs_number_display(patient.nhs_number),
        "phone": WITHHELD if patient.restricted else display_phone(patient.phone_e164),
    }


def _readable_number(number: str) -> str:
    """An unknown sender's number as staff would dial it; as it came if it is not a number."""
    try:
        return display_phone(number)
    except NumberParseException:
        return number


def _alert(alert: AlertFacts, config: TrustConfig) -> dict[str, Any]:
    if alert.level not in ALERT_LABELS:
        raise ValueError(f"alert level must be red or amber, not {alert.level!r}")
    zone = config.zone
    return {
        "id": alert.id,
        "code": alert.code,
        "level": alert.level.upper(),
        "symptoms": [describe_symptom(code) for code in alert.symptoms],
        # One line, whatever the patient typed: it sits inside a staff SMS.
        "reply_excerpt": " ".join(alert.reply_excerpt.split()),
        "raised_at": local_time(alert.raised_at, zone) if alert.raised_at else None,
        "step": alert.step,
        "steps": len(config.chain(alert.level).steps),
        "round": alert.round,
        "sender": _readable_number(alert.sender) if alert.sender else None,
        "acknowledged_by": alert.acknowledged_by_name,
        "acknowledged_at": local_time(alert.acknowledged_at, zone)
        if alert.acknowledged_at
        else None,
    }


def build_context(
    config: TrustConfig,
    *,
    patient: Patient | None = None,
    staff: StaffMember | None = None,
    alert: AlertFacts | None = None,
    dashboard_url: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything a template may use. Keys are always present (None when not known), so a
    template that needs a patient fails loudly without one instead of rendering a blank."""
    contacts = config.contacts
    inbound = config.sms.inbound_numbers
    context: dict[str, Any] = {
        "trust": {"code": config.code, "name": config.name},
        "contacts": {
            "mscc_coordinator": display_phone(contacts.mscc_coordinator),
            "acute_oncology": display_phone(contacts.acute_oncology),
            "out_of_hours": display_phone(contacts.out_of_hours),
        },
        # The number patients text back; emails point here because nobody reads email replies.
        "reply_number": display_phone(inbound[0]) if inbound else None,
        "patient": _patient(patient) if patient is not None else None,
        "staff": {"name": staff.name} if staff is not None else None,
        "alert": _alert(alert, config) if alert is not None else None,
        "dashboard_url": dashboard_url,
        **extra,
    }
    try:
        json.dumps(context)
    except (TypeError, ValueError) as error:
        raise TypeError(f"template context must be JSON-serialisable: {error}") from None
    return context
