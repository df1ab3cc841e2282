"""Plain, read-only views of stored rows for the templates, built inside one session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from messages.evidence import Explanation, explain
from messages.languages import BILINGUAL
from schema.models import Alert, InboundMessage, Patient
from schema.vocabulary import SenderKind

LANGUAGE_NAMES = {
    "en": "English",
    "cy": "Welsh",
    "pl": "Polish",
    BILINGUAL: "Welsh and English (no recorded choice)",
}
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class PatientView:
    id: int
    name: str
    nhs_number: str
    phone: str
    email: str | None
    cohort: str
    language: str | None
    status: str
    opted_out_at: datetime | None
    unreachable_since: datetime | None
    enrolled_at: datetime
    # NHS integration (issue 16). A restricted record shows no contact details: phone and email
    # are left empty in the view itself, so no page can show them by mistake.
    restricted: bool = False
    deceased_at: datetime | None = None
    nhs_number_verified_at: datetime | None = None
    pds_checked_at: datetime | None = None
    erased_at: datetime | None = None  # erased on request: no name, number or contacts left

    @property
    def nhs_display(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"

    @property
    def badge(self) -> tuple[str, str]:
        """The one status a person reads first: death and opting out outrank the status row
        (an opted-out patient is still `active`, and gets nothing but alerts to staff)."""
        if self.deceased_at is not None:
            return "deceased", "deceased"
        if self.opted_out_at is not None:
            return "opted-out", "opted out"
        return self.status, self.status

    @property
    def language_name(self) -> str:
        if self.language is None:
            return NOT_RECORDED
        return LANGUAGE_NAMES.get(self.language, self.language)


def patient_view(patient: Patient) -> PatientView:
    return PatientView(
        id=patient.id,
        name=(
            f"Patient {patient.id} (erased on request)"
            if patient.erased_at is not None
            else f"{patient.given_name} {patient.family_name}"
        ),
        nhs_number=patient.nhs_number,
        phone="" if patient.restricted else patient.phone_e164,
        email=None if patient.restricted else patient.email,
        cohort=patient.cohort,
        language=patient.language,
        status=patient.status,
        opted_out_at=patient.opted_out_at,
        unreachable_since=patient.unreachable_since,
        enrolled_at=patient.enrolled_at,
        restricted=bool(patient.restricted),
        deceased_at=patient.deceased_at,
        nhs_number_verified_at=patient.nhs_number_verified_at,
        pds_checked_at=patient.pds_checked_at,
        erased_at=patient.erased_at,
    )


@dataclass(frozen=True)
class ReplyView:
    id: int
    body: str
    received_at: datetime
    label: str | None
    symptoms: list[str]
    evidence: dict[str, Any]
    review_state: str | None = None
    review_note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    patient: PatientView | None = None
    sender_kind: str | None = None
    sender: str | None = None  # the number, shown only for an unknown sender (to call, to link)
    review_priority: str | None = None
    review_due_at: datetime | None = None
    review_decision: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.review_due_at is not None and now > self.review_due_at

    @property
    def evidence_lists(self) -> list[tuple[str, list[str]]]:
        """The evidence's non-empty lists of quoted words (matched, negated, uncertain, ...)."""
        return [
            (key, [str(v) for v in value])
            for key, value in self.evidence.items()
            if key != "findings" and isinstance(value, list) and value
        ]

    @property
    def explanation(self) -> Explanation:
        """What triage read and why, in plain words (messages.evidence)."""
        return explain(self.evidence, self.label, self.symptoms)

    @property
    def findings(self) -> list[dict[str, Any]]:
        found = self.evidence.get("findings")
        return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def reply_view(
    inbound: InboundMessage, *, patient: Patient | None = None, reviewed_by: str | None = None
) -> ReplyView:
    return ReplyView(
        id=inbound.id,
        body=inbound.body,
        received_at=inbound.received_at,
        label=inbound.label,
        symptoms=[str(s) for s in inbound.symptoms or []],
        evidence=dict(inbound.evidence or {}),
        review_state=inbound.review_state,
        review_note=inbound.review_note,
        reviewed_by=reviewed_by,
        reviewed_at=inbound.reviewed_at,
        patient=patient_view(patient) if patient is not None else None,
        sender_kind=inbound.sender_kind,
        sender=inbound.from_address if inbound.sender_kind == SenderKind.UNKNOWN else None,
        review_priority=inbound.review_priority,
        review_due_at=inbound.review_due_at,
        review_decision=inbound.review_decision,
    )


@dataclass(frozen=True)
class NotificationView:
    staff_name: str
    channel: str
    kind: str
    step: int  # 1-based; past the last step means the whole chain again
    round: int
    state: str
    created_at: datetime
    error_code: str | None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    state_changed_at: datetime | None = None


@dataclass(frozen=True)
class AlertView:
    id: int
    code: str
    level: str
    state: str
    raised_at: datetime
    patient: PatientView | None  # None: an unknown sender's alert (`unknown_sender` is the number)
    reply: ReplyView | None
    later_replies: list[ReplyView]
    step: int
    steps_total: int
    round: int
    step_contacts: list[str]
    next_escalation_at: datetime | None
    nobody_reachable_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    outcome_note: str | None
    notifications: list[NotificationView] = field(default_factory=list)
    # The structured outcome, and the trust's list to choose it from (issue 18).
    outcome: str | None = None
    outcome_name: str | None = None
    mri_at: datetime | None = None
    outcome_choices: tuple[tuple[str, str], ...] = ()
    unknown_sender: str | None = None

    @property
    def past_last_step(self) -> bool:
        return self.step > self.steps_total


def step_contacts(
    alert: Alert, staff_names: dict[str, str], role_names: dict[str, str]
) -> list[str]:
    """Whom the current step reached when it fired (roles resolved then), or, before it has
    fired, whom it names."""
    here = (alert.current_step, alert.round)
    fired = [r for r in alert.chain.get("reached", []) if (r.get("step"), r.get("round")) == here]
    if fired:
        last = fired[-1]
        if last.get("nobody"):
            return [f"nobody ({last['nobody']})"]
        return [staff_names.get(key, key) for key in last.get("staff", [])]
    steps = alert.chain.get("steps", [])
    current = steps[alert.current_step : alert.current_step + 1] or steps
    named = dict.fromkeys(key for step in current for key in step["notify"])
    return [
        f"whoever is on {role_names.get(key[5:], key[5:])}"
        if key.startswith("role:")
        else staff_names.get(key, key)
        for key in named
    ]


def alert_view(
    alert: Alert,
    *,
    patient: Patient | None,
    reply: ReplyView | None,
    later_replies: list[ReplyView],
    staff_names: dict[str, str],
    names_by_id: dict[int, str],
    notifications: list[NotificationView],
    role_names: dict[str, str] | None = None,
    outcome_choices: tuple[tuple[str, str], ...] = (),
) -> AlertView:
    steps = alert.chain.get("steps", [])
    return AlertView(
        id=alert.id,
        code=alert.code,
        level=alert.level,
        state=alert.state,
        raised_at=alert.raised_at,
        patient=patient_view(patient) if patient is not None else None,
        reply=reply,
        later_replies=later_replies,
        step=alert.current_step + 1,
        steps_total=len(steps),
        round=alert.round,
        step_contacts=step_contacts(alert, staff_names, role_names or {}),
        next_escalation_at=alert.next_escalation_at,
        nobody_reachable_at=alert.nobody_reachable_at,
        acknowledged_by=names_by_id.get(alert.acknowledged_by_id or 0),
        acknowledged_at=alert.acknowledged_at,
        resolved_by=names_by_id.get(alert.resolved_by_id or 0),
        resolved_at=alert.resolved_at,
        outcome_note=alert.outcome_note,
        notifications=notifications,
        outcome=alert.outcome,
        outcome_name=alert.outcome_name,
        mri_at=alert.mri_at,
        outcome_choices=outcome_choices,
        unknown_sender=alert.sender_e164 if patient is None else None,
    )


@dataclass(frozen=True)
class GapView:
    """A period with nobody on a rota an escalation chain uses."""

    role: str
    start: datetime
    end: datetime
    open_now: bool
