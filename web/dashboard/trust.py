"""`/trust` (admins): the configuration in force, its history, schedules and escalation chains."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from messages.template_checks import TemplateCheck, check_templates
from schema.db import session_scope
from schema.models import SIGN_IN_ROLES, StaffMember, Trust, TrustConfigVersion
from schema.trust_config import ROLE_PREFIX, TrustConfig
from schema.trusts import trust_config
from schema.vocabulary import ALERT_LEVELS
from web.auth.identity import Viewer, admin_only
from web.templating import render

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
        },
    )
