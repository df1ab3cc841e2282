"""June 2026 at the example trust (Europe/London, summer time), built on a simulated clock with
known times and outcomes, so the monthly report's figures can be asserted exactly.

| alert | level | raised (UTC) | acknowledged    | escalated | outcome          | MRI after reply |
|-------|-------|--------------|-----------------|-----------|------------------|-----------------|
| A7    | red   | 31 May 23:30 | +10 min, on resolving | no  | advised by phone | -               |
| A1    | red   | 2 Jun 10:00  | +4 min (asha)   | no        | MRI arranged     | 20 h            |
| A2    | red   | 10 Jun 02:00 | +12 min (ben)   | step 2    | MSCC confirmed   | 30 h            |
| A3    | red   | 15 Jun 14:00 | +1 min (asha)   | no        | admitted         | -               |
| A4    | amber | 20 Jun 09:00 | +30 min (asha)  | no        | no spinal cause  | 3 days          |
| A5    | amber | 25 Jun 11:00 | never           | step 2    | open; nobody reachable | -         |
| A6    | red   | 30 Jun 23:30 | -               | -         | 1 July in London: not June's | -   |

A7 is 1 June 00:30 in London, so it is June's; A6 is 1 July 00:30, so it is not. Two unclear
replies arrive in June and go on the review list. Each reply arrives 2 minutes before its alert
is raised (the worker's delay), so "reply to MRI" and "raised to acknowledged" differ.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import acknowledgement, alerts, audit, escalation
from pathway.enrolment import enrol, parse_patient
from pathway.outcomes import check_resolution
from schema.models import Alert, InboundMessage, Patient, StaffMember, Trust
from schema.trusts import trust_config
from schema.vocabulary import Label
from testing.nhs_numbers import fake_nhs_number

REPLY_LEAD = timedelta(minutes=2)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Scenario:
    alert_ids: dict[str, int]
    patient_ids: list[int]


class Builder:
    def __init__(self, session: Session, trust: Trust) -> None:
        self.session = session
        self.trust = trust
        self.config = trust_config(trust)
        self.patients: list[Patient] = []

    def staff(self, key: str) -> StaffMember:
        return self.session.scalars(
            select(StaffMember).where(StaffMember.trust_id == self.trust.id, StaffMember.key == key)
        ).one()

    def patient(self, index: int) -> Patient:
        while len(self.patients) <= index:
            n = len(self.patients)
            row = {
                "nhs_number": fake_nhs_number(n),
                "given_name": f"June{chr(65 + n)}",
                "family_name": "Scenario",
                "phone": f"07700 9004{n:02d}",
                "cohort": "spinal_mets",
            }
            with time_machine.travel(at(5, 1, 9), tick=False):
                self.patients.append(
                    enrol(
                        self.session,
                        self.trust,
                        self.config,
                        parse_patient(row, self.config),
                        actor=audit.CLI,
                        now=at(5, 1, 9),
                    )
                )
        return self.patients[index]

    def reply(self, patient: Patient, body: str, label: str, when: datetime) -> InboundMessage:
        inbound = InboundMessage(
            provider_message_id=f"SM{uuid.uuid4().hex}",
            trust_id=self.trust.id,
            patient_id=patient.id,
            from_address=patient.phone_e164,
            to_address=self.config.sms.inbound_numbers[0],
            body=body,
            received_at=when,
            sender_kind="patient",
            label=label,
            symptoms=["limb_weakness"] if label == "red" else [],
            evidence={},
            handled_at=when,
            review_state="open" if label == "unclear" else None,
        )
        self.session.add(inbound)
        self.session.flush()
        return inbound

    def alert(self, index: int, level: Label, raised: datetime) -> Alert:
        patient = self.patient(index)
        inbound = self.reply(patient, f"{level} reply {index}", level.value, raised - REPLY_LEAD)
        with time_machine.travel(raised, tick=False):
            return alerts.raise_alert(
                self.session,
                patient=patient,
                inbound=inbound,
                level=level,
                config=self.config,
                now=raised,
            )

    def acknowledge(self, alert: Alert, key: str, when: datetime) -> None:
        with time_machine.travel(when, tick=False):
            acknowledgement.acknowledge(self.session, alert, self.staff(key), now=when, via="web")

    def resolve(
        self, alert: Alert, key: str, when: datetime, outcome: str, mri_after: timedelta | None
    ) -> None:
        reply_at = acknowledgement.reply_time(self.session, alert)
        resolution = check_resolution(
            self.config,
            outcome=outcome,
            mri_at=reply_at + mri_after if mri_after else None,
            reply_at=reply_at,
            now=when,
        )
        with time_machine.travel(when, tick=False):
            acknowledgement.resolve(self.session, alert, self.staff(key), resolution, now=when)

    def escalate(self, when: datetime) -> None:
        with time_machine.travel(when, tick=False):
            escalation.escalate_due(self.session, when)


def build_june(session: Session, trust: Trust) -> Scenario:
    b = Builder(session, trust)
    minutes = lambda n: timedelta(minutes=n)  # noqa: E731 - reads like the table above
    a7 = b.alert(0, Label.RED, at(5, 31, 23, 30))
    b.resolve(a7, "asha", a7.raised_at + minutes(10), "advised_by_phone", None)
    a1 = b.alert(1, Label.RED, at(6, 2, 10))
    b.acknowledge(a1, "asha", a1.raised_at + minutes(4))
    b.resolve(a1, "asha", a1.raised_at + minutes(50), "mri_arranged", timedelta(hours=20))
    a2 = b.alert(2, Label.RED, at(6, 10, 2))
    b.escalate(a2.raised_at + minutes(5))  # step 1's 5 minutes: on to Ben
    b.acknowledge(a2, "ben", a2.raised_at + minutes(12))
    b.resolve(a2, "ben", a2.raised_at + timedelta(hours=2), "mscc_confirmed", timedelta(hours=30))
    a3 = b.alert(3, Label.RED, at(6, 15, 14))
    b.acknowledge(a3, "asha", a3.raised_at + minutes(1))
    b.resolve(a3, "asha", a3.raised_at + minutes(40), "admitted", None)
    a4 = b.alert(4, Label.AMBER, at(6, 20, 9))
    b.acknowledge(a4, "asha", a4.raised_at + minutes(30))
    b.resolve(a4, "asha", a4.raised_at + timedelta(hours=5), "no_spinal_cause", timedelta(days=3))
    a5 = b.alert(5, Label.AMBER, at(6, 25, 11))
    b.escalate(a5.raised_at + minutes(60))  # amber step 1's hour: on to Ben
    with time_machine.travel(a5.raised_at + minutes(61), tick=False):
        alerts.nobody_reachable(
            session, a5, a5.raised_at + minutes(61), why="every notification failed"
        )
    a6 = b.alert(6, Label.RED, at(6, 30, 23, 30))
    b.reply(b.patient(1), "what time is my appointment", "unclear", at(6, 3, 12))
    b.reply(b.patient(3), "can someone ring me", "unclear", at(6, 16, 12))
    session.flush()
    return Scenario(
        alert_ids={
            "A1": a1.id,
            "A2": a2.id,
            "A3": a3.id,
            "A4": a4.id,
            "A5": a5.id,
            "A6": a6.id,
            "A7": a7.id,
        },
        patient_ids=[p.id for p in b.patients],
    )
