"""`/rota` (admins): who is on each role now and over the coming days, the gaps, and one-off cover
(overrides and swaps) made here, stored and audited; cancelling one is audited too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway.on_duty import covers_for
from pathway.rota import Cover, Period, gaps, on_duty, timeline, to_utc
from pathway.rota_overrides import OverrideRefused, add_override, cancel_override
from schema.db import session_scope
from schema.models import RotaOverride, StaffMember, Trust
from schema.trust_config import TrustConfig, minutes_of
from schema.trusts import trust_config
from schema.types import utcnow
from web.auth.identity import Viewer, admin_form, admin_only
from web.dashboard.notices import notice
from web.ids import RowId
from web.scoped import owned
from web.templating import render

router = APIRouter(include_in_schema=False)

SHOW_DAYS = 14
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> posts
FORM_FIELDS = ("role", "starts_at", "ends_at", "staff", "instead_of", "reason")


@dataclass(frozen=True)
class CoverRow:
    id: int | None  # None: written in the YAML, changed only there
    kind: str  # override | swap
    start: datetime
    end: datetime
    staff: str
    instead_of: str | None
    reason: str | None
    made_by: str


@dataclass(frozen=True)
class PeriodRow:
    start: datetime
    end: datetime
    who: list[str]  # [] is a gap
    unreachable: bool = False


@dataclass(frozen=True)
class RoleView:
    key: str
    name: str
    in_chains: bool
    on_now: list[str]  # who can be reached
    on_now_unreachable: list[str]  # on the rota now, but left or with no phone or email
    shifts: list[str]
    periods: list[PeriodRow]
    covers: list[CoverRow]

    @property
    def gaps(self) -> list[PeriodRow]:
        return [p for p in self.periods if not p.who or p.unreachable]


def _shift_text(config: TrustConfig, role: str) -> list[str]:
    lines = []
    for shift in config.rotas[role].shifts:
        end = "24:00" if minutes_of(shift.end) == 1440 else shift.end.strftime("%H:%M")
        days = ", ".join(shift.days) if len(shift.days) < 7 else "every day"
        lines.append(f"{days} {shift.start:%H:%M} to {end}: {shift.staff}")
    return lines


def _periods(
    config: TrustConfig,
    covers: list[Cover],
    role: str,
    now: datetime,
    names: dict[str, str],
    reachable: set[str],
) -> list[PeriodRow]:
    end = now + timedelta(days=SHOW_DAYS)
    found = {
        (g.start, g.end) for g in gaps(config, covers, now, end, reachable=reachable, roles=[role])
    }
    rows = []
    for period in timeline(config, covers, role, now, end):
        rows.append(_period_row(period, names, found))
    return rows


def _period_row(
    period: Period, names: dict[str, str], found: set[tuple[datetime, datetime]]
) -> PeriodRow:
    unreachable = bool(period.staff) and any(
        start <= period.start and period.end <= end for start, end in found
    )
    return PeriodRow(period.start, period.end, [names.get(k, k) for k in period.staff], unreachable)


def _cover_rows(
    session: Session, trust: Trust, config: TrustConfig, role: str, now: datetime
) -> list[CoverRow]:
    names = _names(session, trust)
    rows = [
        CoverRow(None, "swap" if c.instead_of else "override", c.start, c.end,
                 names.get(c.staff, c.staff), names.get(c.instead_of or "", c.instead_of),
                 None, "the trust's configuration")
        for c in covers_for(session, trust.id, config, now, now + timedelta(days=SHOW_DAYS))
        if c.role == role and c.ref == "config"
    ]  # fmt: skip
    by_id = {
        m.id: m.name
        for m in session.scalars(select(StaffMember).where(StaffMember.trust_id == trust.id))
    }
    for row in session.scalars(
        select(RotaOverride)
        .where(
            RotaOverride.trust_id == trust.id,
            RotaOverride.role == role,
            RotaOverride.cancelled_at.is_(None),
            RotaOverride.ends_at > now,
        )
        .order_by(RotaOverride.starts_at, RotaOverride.id)
    ):
        rows.append(
            CoverRow(row.id, "swap" if row.instead_of_id else "override", row.starts_at,
                     row.ends_at, by_id.get(row.staff_member_id, "?"),
                     by_id.get(row.instead_of_id or 0), row.reason,
                     _made_by(row.created_by, by_id))
        )  # fmt: skip
    return rows


def _made_by(actor: str, names: dict[int, str]) -> str:
    """`staff:4` as the person's name; other actors (the command line) as they are."""
    kind, _, staff_id = actor.partition(":")
    if kind == "staff" and staff_id.isdigit():
        return names.get(int(staff_id), actor)
    return actor


def _names(session: Session, trust: Trust) -> dict[str, str]:
    return dict(
        session.execute(
            select(StaffMember.key, StaffMember.name).where(StaffMember.trust_id == trust.id)
        ).all()
    )


def _page(
    request: Request,
    viewer: Viewer,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = utcnow()
    with session_scope() as session:
        trust = session.get(Trust, viewer.trust_id)
        assert trust is not None
        config = trust_config(trust)
        names = _names(session, trust)
        covers = covers_for(session, trust.id, config, now, now + timedelta(days=SHOW_DAYS))
        staff = list(
            session.scalars(
                select(StaffMember)
                .where(StaffMember.trust_id == trust.id, StaffMember.active.is_(True))
                .order_by(StaffMember.name)
            )
        )
        reachable = {m.key for m in staff if m.phone_e164 or m.email}
        in_chains = set(config.roles_in_chains())
        roles = [
            RoleView(
                key=role,
                name=config.role_name(role),
                in_chains=role in in_chains,
                on_now=[
                    names.get(k, k) for k in on_duty(config, covers, role, now) if k in reachable
                ],
                on_now_unreachable=[
                    names.get(k, k)
                    for k in on_duty(config, covers, role, now)
                    if k not in reachable
                ],
                shifts=_shift_text(config, role),
                periods=_periods(config, covers, role, now, names, reachable),
                covers=_cover_rows(session, trust, config, role, now),
            )
            for role in config.rotas
        ]
        options = [(m.id, m.name) for m in staff]
    return render(
        request,
        "rota.html",
        {
            "viewer": viewer,
            "roles": roles,
            "staff_options": options,
            "days": SHOW_DAYS,
            "form": form or {},
            "errors": errors or {},
            "notice": notice(request),
        },
        status_code=status,
    )


@router.get("/rota", response_class=HTMLResponse)
def rota_page(request: Request, viewer: Viewer = Depends(admin_only)) -> HTMLResponse:
    return _page(request, viewer)


def _local(value: str, zone: Any, *, latest: bool) -> datetime | None:
    try:
        naive = datetime.strptime(value.strip(), LOCAL_INPUT)
    except ValueError:
        return None
    return to_utc(naive, zone, latest=latest)


def _staff(session: Session, trust_id: int, value: str) -> StaffMember | None:
    if not value.isdigit() or len(value) > 10:
        return None
    member = session.get(StaffMember, int(value))
    return member if member is not None and member.trust_id == trust_id else None


@router.post("/rota/overrides")
def add_cover(
    request: Request,
    role: str = Form(""),
    starts_at: str = Form(""),
    ends_at: str = Form(""),
    staff: str = Form(""),
    instead_of: str = Form(""),
    reason: str = Form(""),
    viewer: Viewer = Depends(admin_form),
) -> Response:
    form = dict(
        zip(FORM_FIELDS, (role, starts_at, ends_at, staff, instead_of, reason), strict=True)
    )
    with session_scope() as session:
        trust = session.get(Trust, viewer.trust_id, with_for_update=True)
        assert trust is not None
        zone = trust_config(trust).zone
        start, end = _local(starts_at, zone, latest=False), _local(ends_at, zone, latest=True)
        errors = {
            name: "a date and a time"
            for name, value in (("starts_at", start), ("ends_at", end))
            if value is None
        }
        member = _staff(session, trust.id, staff)
        replaced = _staff(session, trust.id, instead_of) if instead_of else None
        if instead_of and replaced is None:
            errors["instead_of"] = "choose someone else of the trust's staff, or nobody"
        if not errors and start is not None and end is not None:
            try:
                cover = add_override(
                    session, trust, role=role[:64], starts_at=start, ends_at=end, staff=member,
                    instead_of=replaced, reason=reason, actor=viewer.actor, now=utcnow(),
                )  # fmt: skip
            except OverrideRefused as refused:
                errors = refused.problems
            else:
                done = "swap_added" if cover.instead_of_id else "override_added"
                return RedirectResponse(f"/rota?done={done}", status_code=303)
        session.rollback()
    return _page(request, viewer, form=form, errors=errors, status=422)


@router.post("/rota/overrides/{override_id}/cancel")
def cancel_cover(override_id: RowId, viewer: Viewer = Depends(admin_form)) -> Response:
    with session_scope() as session:
        row = owned(session, RotaOverride, override_id, viewer.trust_id, lock=True)
        cancel_override(session, row, actor=viewer.actor, now=utcnow())
    return RedirectResponse("/rota?done=override_cancelled", status_code=303)
