"""The registry of templates: who each is for, its channels and its SMS budget. The checks on them
are messages/template_checks.py.

Template files live in `messages/templates/<key>/`: `sms.txt.j2` for SMS, for email
`email_subject.txt.j2`, `email.txt.j2` and `email.html.j2`, and `voice.txt.j2` for the words a
phone call speaks. A language variant puts the language
before the suffix (`sms.cy.txt.j2`); without one, the English file is used. A bilingual message
(`cy+en`, messages/languages.py) is each language's own template, Welsh first.

SMS budgets: `sms_budget` holds for English and any other single language unless
`welsh_sms_budget` says otherwise (Welsh runs about a fifth longer); a bilingual SMS may use the
budgets of its languages added together, unless `bilingual_sms_budget` sets one of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from messages.languages import WELSH, parts
from messages.template_context import AlertFacts, build_context
from schema.models import Patient, StaffMember
from schema.trust_config import TrustConfig

Audience = Literal["patient", "staff"]
Channel = Literal["sms", "email", "voice"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
CHANNEL_FILES: dict[str, tuple[str, ...]] = {
    "sms": ("sms.txt.j2",),
    "email": ("email_subject.txt.j2", "email.txt.j2", "email.html.j2"),
    "voice": ("voice.txt.j2",),
}
BOTH: tuple[Channel, ...] = ("sms", "email")
SMS_ONLY: tuple[Channel, ...] = ("sms",)
VOICE_ONLY: tuple[Channel, ...] = ("voice",)
EXCERPT = "alert.reply_excerpt"


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    audience: Audience
    channels: tuple[Channel, ...]
    sms_budget: int  # most SMS segments allowed
    invites_reply: bool = False  # so it must say: if urgent, phone now; do not wait for a reply
    shrink: str | None = None  # dotted context path the renderer may shorten to fit the budget
    needs: tuple[str, ...] = ()  # context keys beyond what build_context always gives
    welsh_sms_budget: int | None = None  # None: the same as sms_budget
    bilingual_sms_budget: int | None = None  # None: the Welsh and English budgets added

    def budget(self, language: str = "en") -> int:
        """Most SMS segments allowed in this language (or bilingual form)."""
        languages = parts(language)
        if len(languages) > 1:
            return self.bilingual_sms_budget or sum(self.budget(one) for one in languages)
        if language == WELSH and self.welsh_sms_budget is not None:
            return self.welsh_sms_budget
        return self.sms_budget


def _spec(key: str, audience: Audience, channels: tuple[Channel, ...], **kw: Any) -> TemplateSpec:
    kw.setdefault("sms_budget", 2)
    return TemplateSpec(key, audience, channels, **kw)


CATALOGUE: dict[str, TemplateSpec] = {
    spec.key: spec
    for spec in (
        # Welsh runs longer: the welcome and the check-in need a part more than English.
        _spec("welcome", "patient", BOTH, sms_budget=4, welsh_sms_budget=5),
        _spec("checkin", "patient", BOTH, invites_reply=True, welsh_sms_budget=3),
        _spec("urgent_advice", "patient", BOTH),
        _spec("same_day_advice", "patient", BOTH),
        _spec("unclear_ack", "patient", BOTH),
        _spec("thank_you", "patient", BOTH),
        _spec("help", "patient", BOTH),
        _spec("stop_confirmation", "patient", SMS_ONLY),
        _spec("start_confirmation", "patient", SMS_ONLY, invites_reply=True),
        _spec("unknown_sender", "patient", SMS_ONLY, sms_budget=1),
        _spec("coordinator_alert", "staff", BOTH, shrink=EXCERPT),
        _spec("escalation_alert", "staff", BOTH, shrink=EXCERPT),
        _spec("alert_taken", "staff", BOTH),
        _spec("ack_confirmation", "staff", SMS_ONLY),
        _spec("unresolved_reminder", "staff", BOTH),
        _spec(
            "unreachable_patient", "staff", BOTH, needs=("failed_messages", "unreachable_reason")
        ),
        _spec("ack_not_understood", "staff", SMS_ONLY, needs=("ack_code",)),
        _spec("voice_alert", "staff", VOICE_ONLY),
        _spec("voice_acknowledged", "staff", VOICE_ONLY, needs=("answer",)),
        _spec("voice_key_not_understood", "staff", VOICE_ONLY),
        _spec("rota_gap", "staff", BOTH, needs=("gap",)),
        _spec("review_due", "staff", BOTH, needs=("review",)),
        _spec("writeback_failed", "staff", BOTH, needs=("failed_callbacks",)),
        _spec("password_link", "staff", BOTH, needs=("password_link",)),
    )
}


def variant(name: str, language: str) -> str:
    """`sms.txt.j2` in Welsh is `sms.cy.txt.j2`; English is the unmarked file."""
    if language == "en":
        return name
    stem, _, suffix = name.partition(".")
    return f"{stem}.{language}.{suffix}"


def missing_templates(config: TrustConfig, directory: Path = TEMPLATE_DIR) -> list[str]:
    """Problems with the templates the trust's schedules use, one sentence each.

    A key with no file for a channel its schedule sends on, or a staff template scheduled to
    patients. Language variants are optional (English is the fallback), so they are not checked.
    """
    wanted: dict[str, set[str]] = {}
    for cohort in config.cohorts:
        for step in cohort.schedule:
            wanted.setdefault(step.template, set()).update(step.channels)
    problems: list[str] = []
    for key in sorted(wanted):
        spec = CATALOGUE.get(key)
        if spec is not None and spec.audience != "patient":
            problems.append(f"{key}: a {spec.audience} template cannot be scheduled to patients")
        for channel in sorted(wanted[key]):
            absent = [n for n in CHANNEL_FILES[channel] if not (directory / key / n).is_file()]
            if absent:
                files = ", ".join(f"{key}/{name}" for name in absent)
                problems.append(f"{key}: no {channel} template ({files})")
    return problems


# Worst case for lengths: long names, a long staff name, three symptoms, a 160-character reply.
_LONG_REPLY = (
    "My legs have gone heavy and wobbly since this morning and I can't feel my bottom properly "
    "when I sit down, also the band of pain round my chest is much worse tonight x"
)[:160]
_SAMPLE_NOW = datetime(2025, 3, 30, 23, 58, tzinfo=UTC)  # summer time: locally the next day


def sample_context(config: TrustConfig, *, worst_case: bool = True) -> dict[str, Any]:
    """A context every template renders with: worst case for length checks, or ordinary."""
    long = worst_case
    patient = Patient(
        given_name="Christabel-Alexandra" if long else "Ann",
        family_name="Featherstonehaugh" if long else "Example",
        nhs_number="9434765919",
        phone_e164="+447700900299",
        language="en",
    )
    names = [s.name for s in config.staff] + (["Alexandra Featherstonehaugh-Smith"] if long else [])
    staff = StaffMember(name=max(names, key=len) if long else config.staff[0].name)
    alert = AlertFacts(
        code="RXXK7P2Q" if long else "K7P2Q",
        level="red",
        symptoms=("limb_weakness", "saddle_numbness", "radicular_pain") if long else ("bladder",),
        reply_excerpt=_LONG_REPLY if long else "I can't wee properly since yesterday",
        raised_at=_SAMPLE_NOW,
        step=2,
        acknowledged_by_name=staff.name,
        acknowledged_at=_SAMPLE_NOW,
        id=123456 if long else 7,
    )
    url = "https://safetynet.riverside.example.nhs.uk" if long else "https://safetynet.example"
    return build_context(
        config,
        patient=patient,
        staff=staff,
        alert=alert,
        dashboard_url=url,
        failed_messages=3,
        unreachable_reason="failed_messages",
        ack_code="K7QX" if long else "OKAY",
        answer={"already_by": staff.name if long else None},
        gap={
            "role": "on-duty MSCC coordinator (nights and weekends)" if long else "on-call",
            "starts": "20:00 on Sat 28 Mar",
            "ends": "08:00 on Sun 29 Mar",
            "open_now": not long,
            "beyond": long,
            "unreachable": [staff.name] if long else [],
        },
        failed_callbacks=1234 if long else 1,
        review={
            "priority": "routine" if long else "urgent",
            "sender": "an unknown number" if long else "a patient",
            "due": "10:00 on Wed 30 Dec",
            "overdue": long,
            "step": 3 if long else 1,
            "failed": False,
        },
        password_link={
            "id": 1234,
            "hours": 24,
            "url": f"{url}/set-password/1234.{'0' * 64}",
        },
    )
