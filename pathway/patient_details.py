"""Changing a patient's name, contact details, cohort or language. A new phone, email or cohort
re-plans what is to come, so no future message goes to an address the patient no longer has or
follows a schedule that is no longer theirs; a language applies to every message not yet sent."""

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
REPLANNED_BY = CONTACT_FIELDS | {"cohort"}


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
    wanted = _checked(changes, config)
    current = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "phone": patient.phone_e164,
        "email": patient.email,
        "cohort": patient.cohort,
        "language": patient.language,
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
        now=now,
        fields=changed,
    )
    if REPLANNED_BY & set(changed) and patient.receives_messages:
        reason = "cohort_changed" if "cohort" in changed else "contact_changed"
        replan(session, patient, config, now=now, actor=actor, reason=reason)
    return changed


def _checked(changes: Mapping[str, str | None], config: TrustConfig) -> dict[str, str | None]:
    reasons: list[str] = []
    wanted: dict[str, str | None] = {}
    for name, value in changes.items():
        try:
            if name == "phone":
                # the API refuses a null phone
                value = parse_mobile(
                    value or "", allow_international=config.sms.allow_international
                )
            elif name == "email":
                value = check_email(value) if value else None
            elif name == "cohort" and (not value or config.cohort(value) is None):
                known = ", ".join(c.key for c in config.cohorts)
                raise InvalidIdentifier(f"not one of this trust's cohorts ({known})")
            elif name == "language" and value not in config.languages:
                raise InvalidIdentifier(
                    f"not a language this trust sends in ({', '.join(config.languages)})"
                )
        except InvalidIdentifier as error:
            reasons.append(f"{name}: {error}")
            continue
        wanted[name] = value
    if reasons:
        raise PatientInputError(reasons)
    return wanted
