"""What the routing tests share: the example trust's numbers, a patient, a stored reply."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.enrolment import enrol, parse_patient
from pathway.intake import store_inbound
from schema.models import Patient, Trust, TrustNumber
from schema.trusts import trust_config
from schema.types import utcnow


def trust_number(session: Session, trust_id: int) -> str:
    number = session.scalar(select(TrustNumber.number_e164).where(TrustNumber.trust_id == trust_id))
    assert number is not None
    return number


def enrol_patient(
    session: Session, trust: Trust, *, phone: str = "07700 900201", nhs: str = "999 000 0018"
) -> Patient:
    config = trust_config(trust)
    row = {
        "nhs_number": nhs,
        "given_name": "Margaret",
        "family_name": "Hughes",
        "phone": phone,
        "email": "",
        "cohort": config.cohorts[0].key,
    }
    patient = enrol(
        session, trust, config, parse_patient(row, config), actor=audit.CLI, now=utcnow()
    )
    session.commit()
    return patient


def store_reply(
    session: Session, trust_id: int, sender: str, body: str, now: datetime | None = None
) -> int:
    inbound_id = store_inbound(
        session,
        sid=f"SM{uuid.uuid4().hex}",
        sender=sender,
        to=trust_number(session, trust_id),
        body=body,
        now=now or utcnow(),
    )
    assert inbound_id is not None
    session.commit()
    return inbound_id
