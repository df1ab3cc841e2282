"""What the staff API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schema.models import Patient
from schema.vocabulary import Label
from web.dashboard.views import AlertView, ReplyView
from web.ids import RowIdField


class PatientCreate(BaseModel):
    """A patient to enrol. Checked as a whole, so a 422 lists every field that is wrong at once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "nhs_number": "9434765919",
                "given_name": "Ann",
                "family_name": "Example",
                "phone": "07700 900299",
                "email": "ann@example.com",
                "cohort": "spinal_mets",
                "language": "en",
            }
        },
    )

    nhs_number: str = Field(description="10 digits with a valid check digit; spaces allowed")
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    phone: str = Field(description="a UK mobile, national or E.164", max_length=40)
    email: str | None = Field(default=None, max_length=254)
    cohort: str = Field(description="a cohort key of the trust's configuration", max_length=64)
    language: str | None = Field(
        default=None,
        description="one the trust serves: en, cy or pl; null: not recorded (a trust serving "
        "Welsh then writes bilingually, Welsh first)",
    )
    allow_staff_number: bool = Field(
        default=False,
        description="enrol even though the phone is a staff member's (a shared phone): "
        "otherwise refused with 422",
    )


class PatientUpdate(BaseModel):
    """Contact details to change. A new phone or email re-plans the future messages."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str | None = Field(default=None, min_length=1, max_length=100)
    family_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = None
    email: str | None = Field(default=None, description='null or "" removes the email address')

    @model_validator(mode="after")
    def _something(self) -> PatientUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of given_name, family_name, phone, email")
        for name in ("given_name", "family_name", "phone"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class PatientOut(BaseModel):
    id: int
    nhs_number: str
    given_name: str
    family_name: str
    phone: str | None = Field(description="E.164; null when the record is restricted")
    email: str | None = Field(description="null when none, or when the record is restricted")
    cohort: str
    language: str | None
    status: Literal["active", "paused", "discharged"]
    opted_out: bool
    opted_out_at: datetime | None
    unreachable_since: datetime | None
    enrolled_at: datetime
    restricted: bool = Field(description="PDS or the PAS restricts the record: no contact details")
    deceased_at: datetime | None = Field(description="when the service learnt of the death")
    nhs_number_verified_at: datetime | None = Field(description="PDS last found the number")


class ReplyOut(BaseModel):
    id: int
    body: str
    received_at: datetime
    label: str | None
    symptoms: list[str]
    evidence: dict[str, Any]


class NotificationOut(BaseModel):
    staff_name: str
    channel: Literal["sms", "email", "voice"]
    kind: str
    step: int = Field(description="1-based step of the chain; past the last, the whole chain")
    round: int
    state: str = Field(description="delivery state of the message")
    created_at: datetime


class AlertOut(BaseModel):
    id: int
    code: str = Field(description="what staff text back to acknowledge: ACK <code>")
    level: Literal[Label.RED, Label.AMBER]
    state: Literal["open", "acknowledged", "resolved"]
    patient_id: int | None = Field(description="None for an unknown sender's alert")
    patient_name: str | None
    unknown_sender: bool = Field(
        default=False, description="raised by a reply from a number on no patient's record"
    )
    raised_at: datetime
    step: int
    steps_total: int
    round: int
    nobody_reachable_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    outcome_note: str | None
    outcome: str | None = Field(default=None, description="the trust's outcome key")
    outcome_name: str | None = Field(default=None, description="its words when recorded")
    mri_at: datetime | None = None
    reply: ReplyOut | None
    later_replies: list[ReplyOut]
    notifications: list[NotificationOut]


class AcknowledgeIn(BaseModel):
    """Who is acknowledging: a staff member of the token's trust, by email or by id."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    staff_email: str | None = Field(default=None, max_length=254)
    staff_id: RowIdField | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AcknowledgeIn:
        if (self.staff_email is None) == (self.staff_id is None):
            raise ValueError("give exactly one of staff_email or staff_id")
        return self

    @field_validator("staff_email")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("staff_email cannot be empty")
        return value


class ResolveIn(AcknowledgeIn):
    """Who resolves (by email or id, as for acknowledging), and what happened."""

    outcome: str = Field(description="one of the trust's outcome keys", max_length=64)
    outcome_note: str | None = Field(default=None, max_length=4000)
    mri_at: datetime | None = Field(
        default=None, description="when the MRI was done or booked, with its offset"
    )


class ResolveOut(BaseModel):
    resolved: bool = Field(description="false when the alert had already been resolved")
    alert: AlertOut


class AcknowledgeOut(BaseModel):
    first: bool = Field(description="false when the alert had already been acknowledged")
    alert: AlertOut


def patient_out(patient: Patient) -> PatientOut:
    return PatientOut(
        id=patient.id,
        nhs_number=patient.nhs_number,
        given_name=patient.given_name,
        family_name=patient.family_name,
        phone=None if patient.restricted else patient.phone_e164,
        email=None if patient.restricted else patient.email,
        cohort=patient.cohort,
        language=patient.language,
        status=patient.status,  # type: ignore[arg-type]
        opted_out=patient.opted_out_at is not None,
        opted_out_at=patient.opted_out_at,
        unreachable_since=patient.unreachable_since,
        enrolled_at=patient.enrolled_at,
        restricted=bool(patient.restricted),
        deceased_at=patient.deceased_at,
        nhs_number_verified_at=patient.nhs_number_verified_at,
    )


def reply_out(view: ReplyView) -> ReplyOut:
    return ReplyOut(
        id=view.id,
        body=view.body,
        received_at=view.received_at,
        label=view.label,
        symptoms=view.symptoms,
        evidence=view.evidence,
    )


def alert_out(view: AlertView) -> AlertOut:
    return AlertOut(
        id=view.id,
        code=view.code,
        level=view.level,  # type: ignore[arg-type]
        state=view.state,  # type: ignore[arg-type]
        patient_id=view.patient.id if view.patient else None,
        patient_name=view.patient.name if view.patient else None,
        unknown_sender=view.unknown_sender is not None,
        raised_at=view.raised_at,
        step=view.step,
        steps_total=view.steps_total,
        round=view.round,
        nobody_reachable_at=view.nobody_reachable_at,
        acknowledged_by=view.acknowledged_by,
        acknowledged_at=view.acknowledged_at,
        resolved_by=view.resolved_by,
        resolved_at=view.resolved_at,
        outcome_note=view.outcome_note,
        outcome=view.outcome,
        outcome_name=view.outcome_name,
        mri_at=view.mri_at,
        reply=reply_out(view.reply) if view.reply else None,
        later_replies=[reply_out(r) for r in view.later_replies],
        notifications=[
            NotificationOut(
                staff_name=n.staff_name,
                channel=n.channel,  # type: ignore[arg-type]
                kind=n.kind,
                step=n.step,
                round=n.round,
                state=n.state,
                created_at=n.created_at,
            )
            for n in view.notifications
        ],
    )
