"""`/staff` (admins): add a coordinator or admin, change a role, deactivate or reactivate, and
send a one-time set-password link by SMS and email (pathway/password_links.py). Staff from the
trust's configuration file keep the role and state the file gives them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway import staff_accounts as accounts
from pathway.password_links import issue_link
from pathway.staff_accounts import AccountError
from schema.db import session_scope
from schema.identifiers import display_phone
from schema.models import SIGN_IN_ROLES, StaffMember, StaffRole, Trust
from schema.settings import get_settings
from schema.types import utcnow
from web.auth import passwords
from web.auth.identity import Viewer, admin_form, admin_only
from web.dashboard.notices import notice
from web.ids import RowId
from web.scoped import owned
from web.templating import render

router = APIRouter(include_in_schema=False)

ROLE_NAMES = {
    StaffRole.COORDINATOR.value: "Coordinator",
    StaffRole.ADMIN.value: "Admin",
    StaffRole.ESCALATION.value: "Escalation only (never signs in)",
}


@dataclass(frozen=True)
class StaffRow:
    id: int
    name: str
    role: str
    email: str | None
    phone: str | None
    active: bool
    from_config: bool
    has_password: bool
    last_sign_in_at: datetime | None

    @property
    def signs_in(self) -> bool:
        return self.role in SIGN_IN_ROLES

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


def _rows(viewer: Viewer) -> list[StaffRow]:
    with session_scope() as session:
        members = session.scalars(
            select(StaffMember)
            .where(StaffMember.trust_id == viewer.trust_id)
            .order_by(StaffMember.active.desc(), StaffMember.name, StaffMember.id)
        ).all()
        return [
            StaffRow(
                id=m.id,
                name=m.name,
                role=m.role,
                email=m.email,
                phone=display_phone(m.phone_e164) if m.phone_e164 else None,
                active=m.active,
                from_config=m.from_config,
                has_password=m.password_hash is not None,
                last_sign_in_at=m.last_sign_in_at,
            )
            for m in members
        ]


def _page(
    request: Request,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "staff.html",
        {
            "viewer": viewer,
            "active": "staff",
            "staff": _rows(viewer),
            "roles": {r: ROLE_NAMES[r] for r in (StaffRole.COORDINATOR, StaffRole.ADMIN)},
            "form": form or {"role": StaffRole.COORDINATOR.value},
            "errors": errors or [],
            "error": error,
            "notice": notice(request),
        },
        status_code=status,
    )


@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, viewer: Viewer = Depends(admin_only)) -> HTMLResponse:
    return _page(request, viewer)


@router.post("/staff")
def add_staff_member(
    request: Request,
    name: str = Form(""),
    email: str = Form(""),
    phone: str = Form(""),
    role: str = Form(StaffRole.COORDINATOR.value),
    viewer: Viewer = Depends(admin_form),
) -> Response:
    raw = {"name": name[:300], "email": email[:300], "phone": phone[:40], "role": role[:20]}
    now = utcnow()
    try:
        with session_scope() as session:
            trust = session.get(Trust, viewer.trust_id)
            assert trust is not None
            member = accounts.add_staff(
                session,
                trust,
                email=raw["email"],
                name=raw["name"],
                role=raw["role"],
                password=None,
                phone=raw["phone"].strip() or None,
                actor=viewer.actor,
                passwords=passwords,
                now=now,
            )
            _send_link(session, member, viewer, now)
    except AccountError as error:
        return _page(request, viewer, form=raw, errors=[str(error)], status=422)
    return RedirectResponse("/staff?done=staff_added", status_code=303)


def _send_link(session: Session, member: StaffMember, viewer: Viewer, now: datetime) -> None:
    issue_link(
        session,
        member,
        secret_key=get_settings().resolved_secret_key,
        actor=viewer.actor,
        now=now,
    )


def _change(
    request: Request, viewer: Viewer, staff_id: int, done: str, action: str, value: str = ""
) -> Response:
    now = utcnow()
    try:
        with session_scope() as session:
            member = owned(session, StaffMember, staff_id, viewer.trust_id, lock=True)
            if member.id == viewer.staff_id and action in {"role", "deactivate"}:
                raise AccountError("you cannot change your own role or deactivate yourself")
            if action == "role":
                accounts.change_role(session, member, value, actor=viewer.actor, now=now)
            elif action == "link":
                _send_link(session, member, viewer, now)
            else:
                reactivate = action == "reactivate"
                accounts.set_active(session, member, reactivate, actor=viewer.actor, now=now)
    except AccountError as error:
        return _page(request, viewer, error=str(error), status=409)
    return RedirectResponse(f"/staff?done={done}#staff-{staff_id}", status_code=303)


@router.post("/staff/{staff_id}/role")
def change_role(
    staff_id: RowId,
    request: Request,
    role: str = Form(""),
    viewer: Viewer = Depends(admin_form),
) -> Response:
    return _change(request, viewer, staff_id, "role_changed", "role", role[:20])


@router.post("/staff/{staff_id}/deactivate")
def deactivate(staff_id: RowId, request: Request, viewer: Viewer = Depends(admin_form)) -> Response:
    return _change(request, viewer, staff_id, "deactivated", "deactivate")


@router.post("/staff/{staff_id}/reactivate")
def reactivate(staff_id: RowId, request: Request, viewer: Viewer = Depends(admin_form)) -> Response:
    return _change(request, viewer, staff_id, "reactivated", "reactivate")


@router.post("/staff/{staff_id}/password-link")
def send_password_link(
    staff_id: RowId, request: Request, viewer: Viewer = Depends(admin_form)
) -> Response:
    return _change(request, viewer, staff_id, "link_sent", "link")
