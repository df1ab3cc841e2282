"""Changing a patient's name or contact details. A new phone or email re-plans what is to come,
so no future message goes to an address the patient no longer has."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from pathway import audit
from pathway.errors import PatientInputError
from pathway.planning import replan
from schema.identifiers import InvalidIdentifier, check_email, parse_mobile
from schema.models import Patient
from schema.trust_config import TrustConfig

CONTACT_FIELDS = frozenset({"phone", "email"})


def update_patient(
    session: Session,
    patient: Patient,
    config: TrustConfig,
    changes: Mapping[str, str | None],
    *,
    actor: str,
    now: datetime,
) -> list[str]:
    """Apply the changes (only the fields given); returns the names of those that really changed."""
    wanted = _checked(changes, allow_international=config.sms.allow_international)
    current = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "phone": patient.phone_e164,
        "email": patient.email,
    }
    changed = sorted(name for name, value in wanted.items() if current[name] != value)
    if not changed:
        return []
    for name in changed:
        setattr(patient, "phone_e164" if name == "phone" else name, wanted[name])
    patient.updated_at = now
    session.flush()
    # Which fields, never their values: the audit trail holds no phone numbers.
    audit.record(
        session,
        "patient.updated",
        "patient",
        patient.id,
        actor=actor,
        trust_id=patient.trust_id,
        fields=changed,
    )
    if CONTACT_FIELDS & set(changed) and patient.receives_messages:
        replan(session, patient, config, now=now, actor=actor, reason="contact_changed")
    return changed


def _checked(
    changes: Mapping[str, str | None], *, allow_international: bool
) -> dict[str, str | None]:
    reasons: list[str] = []
    wanted: dict[str, str | None] = {}
    for name, value in changes.items():
        try:
            if name == "phone":
                # the API refuses a null phone
                value = parse_mobile(value or "", allow_international=allow_international)
            elif name == "email":
                value = check_email(value) if value else None
        except InvalidIdentifier as error:
            reasons.append(f"{name}: {error}")
            continue
        wanted[name] = value
    if reasons:
        raise PatientInputError(reasons)
    return wanted
