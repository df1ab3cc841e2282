"""`/trust` (admins): the configuration in force, its history, schedules and escalation chains."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import select

from messages.signoff import sign_off_status
from messages.template_checks import TemplateCheck, check_templates
from schema.db import session_scope
from schema.identifiers import display_phone
from schema.models import SIGN_IN_ROLES, StaffMember, Trust, TrustConfigVersion
from schema.trust_config import ROLE_PREFIX, TrustConfig
from schema.trusts import trust_config
from schema.vocabulary import ALERT_LEVELS
from web.auth.identity import Viewer, admin_only
from web.dashboard.charts import Mark, timeline_chart
from web.dashboard.trust_views import (
    CohortTimeline,
    DiffLine,
    StepSummary,
    cohort_timeline,
    previews,
    version_diff,
    window_words,
)
from web.dashboard.views import LANGUAGE_NAMES
from web.templating import duration, render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class VersionRow:
    version: int
    loaded_at: datetime
    loaded_by: str
    sha256: str


@dataclass(frozen=True)
class StaffRow:
    key: str
    name: str
    role: str
    reachable_by: str
    signs_in: bool
    active: bool


def sms_checks(config: TrustConfig) -> list[TemplateCheck]:
    """Every SMS template rendered worst-case in each of the trust's languages."""
    return [check for check in check_templates(config) if check.channel == "sms"]


def segments_by_template(checks: list[TemplateCheck]) -> dict[str, dict[str, int | None]]:
    """Template key → language → SMS segments."""
    found: dict[str, dict[str, int | None]] = {}
    for check in checks:
        found.setdefault(check.key, {})[check.language] = check.segments
    return found


def _timelines(config: TrustConfig) -> list[tuple[CohortTimeline, Markup]]:
    found = []
    for cohort in config.cohorts:
        timeline = cohort_timeline(cohort)
        described = "; ".join(f"{s.template}: {_step_words(s)}" for s in timeline.steps)
        chart = timeline_chart(
            f"timeline-{cohort.key}",
            f"Messages to {cohort.name} after enrolment",
            described + ".",
            timeline.span_days,
            [Mark(send.day, send.template) for send in timeline.sends],
        )
        found.append((timeline, chart))
    return found


def _step_words(step: StepSummary) -> str:
    first = "at enrolment" if not step.first else f"after {duration(step.first)}"
    if step.every is None:
        return f"once, {first}"
    until = f" until {duration(step.until)}" if step.until else ""
    return f"{first}, then every {duration(step.every)}{until} ({step.count} in all)"


def _diff(
    request: Request, versions: list[TrustConfigVersion]
) -> tuple[list[DiffLine], str, tuple[int, int] | None]:
    """The diff asked for with ?from=N&to=M (by default the last change), or a problem."""
    by_number = {v.version: v for v in versions}
    asked = (request.query_params.get("from", ""), request.query_params.get("to", ""))
    if not any(asked):
        if len(versions) < 2:
            return [], "", None
        new, old = versions[0], versions[1]
    else:
        numbers = [int(a) if a.isdigit() else None for a in asked]
        if None in numbers or any(n not in by_number for n in numbers):
            return [], "Choose two versions from the history to compare.", None
        old, new = by_number[numbers[0] or 0], by_number[numbers[1] or 0]
    lines = version_diff(
        old.source_text, new.source_text, f"version {old.version}", f"version {new.version}"
    )
    return lines, "", (old.version, new.version)


@router.get("/trust", response_class=HTMLResponse)
def trust_page(request: Request, viewer: Viewer = Depends(admin_only)) -> HTMLResponse:
    with session_scope() as session:
        trust = session.get(Trust, viewer.trust_id)
        assert trust is not None
        config = trust_config(trust)
        versions = list(
            session.scalars(
                select(TrustConfigVersion)
                .where(TrustConfigVersion.trust_id == trust.id)
                .order_by(TrustConfigVersion.version.desc())
            )
        )
        current = next((v for v in versions if v.version == trust.config_version), None)
        staff = [
            StaffRow(
                key=m.key,
                name=m.name,
                role=m.role,
                reachable_by=", ".join(
                    what for what, has in (("SMS", m.phone_e164), ("email", m.email)) if has
                ),
                signs_in=m.password_hash is not None and m.role in SIGN_IN_ROLES,
                active=m.active,
            )
            for m in session.scalars(
                select(StaffMember)
                .where(StaffMember.trust_id == trust.id)
                .order_by(StaffMember.active.desc(), StaffMember.name)
            )
        ]
        history = [
            VersionRow(v.version, v.loaded_at, v.loaded_by, v.source_sha256[:12]) for v in versions
        ]
        source = current.source_text if current is not None else ""
        version = trust.config_version
        diff, diff_problem, compared = _diff(request, versions)
    names = {s.key: s.name for s in config.staff}
    names.update(
        {f"{ROLE_PREFIX}{role}": f"whoever is on {config.role_name(role)}" for role in config.rotas}
    )
    checks = sms_checks(config)
    return render(
        request,
        "trust.html",
        {
            "viewer": viewer,
            "config": config,
            "alert_levels": ALERT_LEVELS,
            "version": version,
            "source": source,
            "history": history,
            "staff": staff,
            "names": names,
            "segments": segments_by_template(checks),
            "checks": checks,
            "sign_offs": sign_off_status(config),
            "contacts": [
                ("24-hour MSCC coordinator line", display_phone(config.contacts.mscc_coordinator)),
                ("Acute oncology", display_phone(config.contacts.acute_oncology)),
                ("Out of hours", display_phone(config.contacts.out_of_hours)),
            ],
            "sms_numbers": [display_phone(n) for n in config.sms.inbound_numbers],
            "window_days": window_words(list(config.send_window.days)),
            "timelines": _timelines(config),
            "previews": previews(config),
            "languages": {code: LANGUAGE_NAMES.get(code, code) for code in config.languages},
            "diff": diff,
            "diff_problem": diff_problem,
            "compared": compared,
        },
        status_code=422 if diff_problem else 200,
    )
