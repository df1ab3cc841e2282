"""A trust with rotas on a real database (SQLite and PostgreSQL), a patient, and red alerts
raised on a simulated clock: every pathway function here is given its `now`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import alerts, audit
from pathway.enrolment import enrol, parse_patient
from pathway.trust_loading import load_trust
from schema.config_file import config_from_text
from schema.models import (
    Alert,
    AlertNotification,
    AuditEvent,
    InboundMessage,
    OutboundMessage,
    Patient,
    StaffMember,
    Trust,
)
from schema.trusts import trust_config
from schema.vocabulary import Label
from tests.fakes.rota_trust import ESCALATION, ROTAS, rota_trust_yaml


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def load(
    session: Session, *, rotas: str = ROTAS, escalation: str = ESCALATION, now: datetime
) -> Trust:
    text = rota_trust_yaml(rotas, escalation)
    loaded = config_from_text(text)
    trust = load_trust(session, loaded, actor=audit.CLI, now=now).trust
    session.commit()
    return trust


def patient_of(session: Session, trust: Trust, now: datetime) -> Patient:
    config = trust_config(trust)
    row = {
        "nhs_number": "9434765919",
        "given_name": "Ann",
        "family_name": "Example",
        "phone": "+447700900301",
        "email": "",
        "cohort": "welcome_only",
    }
    patient = enrol(session, trust, config, parse_patient(row, config), actor=audit.CLI, now=now)
    session.commit()
    return patient


def raise_red(session: Session, trust: Trust, patient: Patient, now: datetime) -> Alert:
    inbound = InboundMessage(
        provider_message_id=f"SM{uuid.uuid4().hex}",
        trust_id=trust.id,
        patient_id=patient.id,
        from_address=patient.phone_e164,
        to_address="+447700900000",
        body="my legs keep giving way",
        received_at=now,
        sender_kind="patient",
        label="red",
        symptoms=["limb_weakness"],
        evidence={},
        handled_at=now,
    )
    session.add(inbound)
    session.flush()
    alert = alerts.raise_alert(
        session,
        patient=patient,
        inbound=inbound,
        level=Label.RED,
        config=trust_config(trust),
        now=now,
    )
    session.commit()
    return alert


def reached(session: Session, alert_id: int) -> list[tuple[str, str, int, int]]:
    """(staff key, channel, step, round) of every notification of the alert, in order."""
    rows = session.execute(
        select(
            StaffMember.key,
            OutboundMessage.channel,
            AlertNotification.step,
            AlertNotification.round,
        )
        .join(StaffMember, StaffMember.id == AlertNotification.staff_member_id)
        .join(OutboundMessage, OutboundMessage.id == AlertNotification.outbound_message_id)
        .where(AlertNotification.alert_id == alert_id)
        .order_by(AlertNotification.id)
    ).all()
    return [(key, channel, step, round_) for key, channel, step, round_ in rows]


def audited(session: Session, action: str) -> list[dict[str, object]]:
    return [
        dict(details)
        for details in session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    ]
