"""Alert history (`/alerts`): every alert of the trust, filtered by date, level, outcome and
coordinator, newest first, a page at a time; and one alert's full story (`/alerts/{id}`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from schema.db import session_scope
from schema.models import SIGN_IN_ROLES, Alert, StaffMember
from schema.vocabulary import ALERT_LEVELS
from web.auth.identity import Viewer, current_staff
from web.dashboard import queries
from web.dashboard.notices import notice
from web.dashboard.story import alert_story, waited
from web.dashboard.views import AlertView
from web.ids import MAX_ROW_ID, RowId
from web.scoped import owned
from web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
NOT_RECORDED = "not_recorded"  # the outcome filter for alerts resolved without one


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    level: str = ""
    outcome: str = ""
    coordinator: int | None = None
    page: int = 1

    def query_string(self, page: int | None = None) -> str:
        values = {
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "level": self.level,
            "outcome": self.outcome,
            "coordinator": str(self.coordinator or ""),
        }
        chosen = page or self.page
        if chosen > 1:
            values["page"] = str(chosen)
        return urlencode({k: v for k, v in values.items() if v})


@dataclass
class FilterErrors:
    by_field: dict[str, str] = field(default_factory=dict)


def _date(text: str, name: str, errors: FilterErrors) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        errors.by_field[name] = "a date such as 2026-12-01"
        return None


def parse_filters(params: dict[str, str], outcome_keys: set[str]) -> tuple[Filters, FilterErrors]:
    """The filters asked for; a bad one is named in the errors and left out."""
    errors = FilterErrors()
    start = _date(params.get("from", ""), "from", errors)
    end = _date(params.get("to", ""), "to", errors)
    if start and end and end < start:
        errors.by_field["to"] = "the end date is before the start date"
        end = None
    level = params.get("level", "")
    if level and level not in ALERT_LEVELS:
        errors.by_field["level"] = "red or amber"
        level = ""
    outcome = params.get("outcome", "")
    if outcome and outcome != NOT_RECORDED and outcome not in outcome_keys:
        errors.by_field["outcome"] = "one of the trust's outcomes"
        outcome = ""
    coordinator = _number(params.get("coordinator", ""), "coordinator", errors, MAX_ROW_ID)
    page = _number(params.get("page", ""), "page", errors, 100_000) or 1
    return Filters(start, end, level, outcome, coordinator, page), errors


def _number(text: str, name: str, errors: FilterErrors, largest: int) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or not 1 <= int(text.strip()) <= largest:
        errors.by_field[name] = "choose one from the list" if name == "coordinator" else "a number"
        return None
    return int(text.strip())


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def filtered(trust_id: int, filters: Filters, zone: ZoneInfo) -> Select[Alert]:
    query = select(Alert).where(Alert.trust_id == trust_id)
    if filters.start:
        query = query.where(Alert.raised_at >= local_day_start(filters.start, zone))
    if filters.end:
        query = query.where(
            Alert.raised_at < local_day_start(filters.end + timedelta(days=1), zone)
        )
    if filters.level:
        query = query.where(Alert.level == filters.level)
    if filters.outcome == NOT_RECORDED:
        query = query.where(Alert.resolved_at.is_not(None), Alert.outcome.is_(None))
    elif filters.outcome:
        query = query.where(Alert.outcome == filters.outcome)
    if filters.coordinator:
        query = query.where(
            or_(
                Alert.acknowledged_by_id == filters.coordinator,
                Alert.resolved_by_id == filters.coordinator,
            )
        )
    return query


@dataclass(frozen=True)
class HistoryRow:
    alert: AlertView
    to_acknowledge: str  # how long it took, or ""


def _coordinators(session: Session, trust_id: int) -> list[tuple[int, str]]:
    return [
        (m.id, m.name)
        for m in session.scalars(
            select(StaffMember)
            .where(StaffMember.trust_id == trust_id, StaffMember.role.in_(SIGN_IN_ROLES))
            .order_by(StaffMember.name)
        )
    ]


@router.get("/alerts", response_class=HTMLResponse)
def alert_history(request: Request, viewer: Viewer = Depends(current_staff)) -> HTMLResponse:
    zone = ZoneInfo(viewer.timezone)
    params = {k: v[:40] for k, v in request.query_params.items()}
    with session_scope() as session:
        choices = queries.outcome_choices(session, viewer.trust_id)
        filters, errors = parse_filters(params, {key for key, _ in choices})
        query = filtered(viewer.trust_id, filters, zone)
        total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        alerts = list(
            session.scalars(
                query.order_by(Alert.raised_at.desc(), Alert.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        )
        views = queries.alert_views(session, viewer.trust_id, alerts)
        coordinators = _coordinators(session, viewer.trust_id)
    rows = [HistoryRow(v, waited(v.raised_at, v.acknowledged_at)) for v in views]
    return render(
        request,
        "history.html",
        {
            "viewer": viewer,
            "active": "history",
            "rows": rows,
            "filters": filters,
            "errors": errors.by_field,
            "total": total,
            "page": page,
            "pages": pages,
            "page_size": PAGE_SIZE,
            "levels": ALERT_LEVELS,
            "outcomes": choices,
            "not_recorded": NOT_RECORDED,
            "coordinators": coordinators,
        },
        status_code=422 if errors.by_field else 200,
    )


def alert_page(
    request: Request,
    viewer: Viewer,
    alert_id: int,
    *,
    errors: dict[int, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, viewer.trust_id)
        view = queries.alert_views(session, viewer.trust_id, [alert])[0]
        story = alert_story(session, view)
    return render(
        request,
        "alert.html",
        {
            "viewer": viewer,
            "active": "history",
            "alert": view,
            "story": story,
            "errors": errors or {},
            "notice": notice(request),
            "to_acknowledge": waited(view.raised_at, view.acknowledged_at),
        },
        status_code=status,
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_detail(
    alert_id: RowId, request: Request, viewer: Viewer = Depends(current_staff)
) -> HTMLResponse:
    return alert_page(request, viewer, alert_id)
