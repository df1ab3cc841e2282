"""/api/v1/alerts: list, read and acknowledge alerts of the token's trust."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import acknowledgement, audit
from pathway.outcomes import OutcomeError, check_resolution
from schema.db import session_scope
from schema.models import Alert, AlertState, StaffMember, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from web.api.models import (
    AcknowledgeIn,
    AcknowledgeOut,
    AlertOut,
    ResolveIn,
    ResolveOut,
    alert_out,
)
from web.auth.identity import ApiClient, api_client
from web.dashboard import queries
from web.ids import RowId
from web.scoped import owned

router = APIRouter(prefix="/alerts", tags=["alerts"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such alert in the token's trust"}
}


@router.get("", response_model=list[AlertOut])
def list_alerts(
    state: AlertState | None = Query(default=AlertState.OPEN, description="omit for open alerts"),
    limit: int = Query(default=100, ge=1, le=500),
    client: ApiClient = Depends(api_client),
) -> list[AlertOut]:
    """Open alerts by default, the most serious and oldest first; other states newest first."""
    with session_scope() as session:
        if state == AlertState.OPEN:
            views = queries.alerts_in_state(session, client.trust_id, AlertState.OPEN)[:limit]
        else:
            views = queries.recent_alerts(session, client.trust_id, state=state, limit=limit)
        return [alert_out(v) for v in views]


@router.get("/{alert_id}", response_model=AlertOut, responses=NOT_FOUND)
def get_alert(alert_id: RowId, client: ApiClient = Depends(api_client)) -> AlertOut:
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, client.trust_id)
        return alert_out(queries.alert_views(session, client.trust_id, [alert])[0])


def _member(session: Session, client: ApiClient, body: AcknowledgeIn) -> StaffMember:
    """The active staff member of the token's trust the body names, or a 422 naming the field."""
    query = select(StaffMember).where(
        StaffMember.trust_id == client.trust_id, StaffMember.active.is_(True)
    )
    if body.staff_id is not None:
        query = query.where(StaffMember.id == body.staff_id)
    else:
        query = query.where(func.lower(StaffMember.email) == (body.staff_email or "").lower())
    members = list(session.scalars(query.limit(2)))
    if len(members) != 1:
        field = "staff_id" if body.staff_id is not None else "staff_email"
        raise HTTPException(
            422,
            [
                {
                    "loc": ["body", field],
                    "msg": "no active staff member of this trust has that "
                    + ("id" if field == "staff_id" else "email"),
                    "type": "value_error",
                }
            ],
        )
    return members[0]


@router.post(
    "/{alert_id}/acknowledge",
    response_model=AcknowledgeOut,
    responses={
        **NOT_FOUND,
        422: {"description": "No staff member of the trust can acknowledge by that email or id"},
    },
)
def acknowledge(
    alert_id: RowId, body: AcknowledgeIn, client: ApiClient = Depends(api_client)
) -> AcknowledgeOut:
    """Acknowledge on behalf of a named staff member of the same trust; escalation stops."""
    now = utcnow()
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, client.trust_id, lock=True)
        member = _member(session, client, body)
        result = acknowledgement.acknowledge(session, alert, member, now=now, via="api")
        audit.record(
            session,
            "api.alert_acknowledged",
            "alert",
            alert.id,
            actor=client.actor,
            trust_id=client.trust_id,
            now=now,
            token_id=client.token_id,
            token_name=client.name,
            on_behalf_of=member.id,
            first=result.first,
        )
        session.flush()
        view = queries.alert_views(session, client.trust_id, [alert])[0]
        return AcknowledgeOut(first=result.first, alert=alert_out(view))


@router.post(
    "/{alert_id}/resolve",
    response_model=ResolveOut,
    responses={
        **NOT_FOUND,
        422: {"description": "An unknown staff member or outcome, or an MRI time out of range"},
    },
)
def resolve(
    alert_id: RowId, body: ResolveIn, client: ApiClient = Depends(api_client)
) -> ResolveOut:
    """Resolve with one of the trust's outcomes on behalf of a named staff member; an alert
    nobody has acknowledged is acknowledged first, by the same person."""
    now = utcnow()
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, client.trust_id, lock=True)
        member = _member(session, client, body)
        trust = session.get(Trust, client.trust_id)
        assert trust is not None
        try:
            resolution = check_resolution(
                trust_config(trust),
                outcome=body.outcome,
                note=body.outcome_note or "",
                mri_at=body.mri_at,
                reply_at=acknowledgement.reply_time(session, alert),
                now=now,
            )
        except OutcomeError as error:
            raise HTTPException(
                422, [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
            ) from None
        resolved = acknowledgement.resolve(session, alert, member, resolution, now=now)
        audit.record(
            session,
            "api.alert_resolved",
            "alert",
            alert.id,
            actor=client.actor,
            trust_id=client.trust_id,
            now=now,
            token_id=client.token_id,
            on_behalf_of=member.id,
            first=resolved,
        )
        session.flush()
        view = queries.alert_views(session, client.trust_id, [alert])[0]
        return ResolveOut(resolved=resolved, alert=alert_out(view))
