"""Texting as a patient without a phone, on embedded defaults (no Twilio configured).

A reply made here takes the webhook's own store-first path (web/intake.py, the `sms` kind of
web/stored_requests.py), so what follows is exactly what a real text causes: triage on the
alerts queue, alerts, answers. Its MessageSid starts `SIM`, and an audit event says who made it.
With Twilio configured, replies come from Twilio alone: a simulated one would be a forgery.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pathway import audit
from pathway.intake import MAX_BODY_CHARS
from schema.identifiers import InvalidIdentifier, parse_phone
from schema.models import Trust
from schema.settings import Settings
from schema.trusts import trust_config
from web.intake import record_of, store_records
from web.stored_requests import KINDS, REPLY

SIMULATED_PREFIX = "SIM"


class SimulationRefused(ValueError):
    """A simulated reply that cannot be made: the reason names the field."""


def simulation_allowed(settings: Settings) -> bool:
    """Only while SMS go to the outbox: a real Twilio account's replies are Twilio's alone."""
    return settings.sms_provider != "twilio"


def trust_number(trust: Trust) -> str:
    """The number patients of this trust text back to (the webhook's To)."""
    numbers = trust_config(trust).sms.inbound_numbers
    if not numbers:
        raise SimulationRefused(
            f"trust {trust.code} has no number patients text back to (sms.from_number)"
        )
    return numbers[0]


def simulated_fields(sender: str, to: str, body: str) -> dict[str, str]:
    """What the webhook would have read from Twilio's request, checked the same way."""
    try:
        number = parse_phone(sender)
    except InvalidIdentifier as error:
        raise SimulationRefused(f"from: {error}") from None
    if not body.strip():
        raise SimulationRefused("text: say something (the text is empty)")
    if len(body) > MAX_BODY_CHARS:
        raise SimulationRefused(f"text: longer than {MAX_BODY_CHARS} characters")
    return {"sid": f"{SIMULATED_PREFIX}{uuid.uuid4().hex}", "from": number, "to": to, "body": body}


def store_now(fields: dict[str, str]) -> int | None:
    """Store a simulated reply in the database and hand it to the alerts workers, as the
    webhook does when the database answers. The reply's id."""
    result: Any = store_records(
        {kind.name: kind for kind in KINDS}, [record_of(REPLY, fields)], spooled=False
    )
    return int(result) if result is not None else None


def audit_simulation(
    session: Session,
    trust: Trust,
    inbound_id: int | None,
    *,
    actor: str,
    patient_id: int | None,
    now: datetime,
) -> None:
    """Who played the patient: never the number or the words."""
    audit.record(
        session,
        "inbound.simulated",
        "inbound_message",
        inbound_id,
        actor=actor,
        trust_id=trust.id,
        now=now,
        patient_id=patient_id,
    )
