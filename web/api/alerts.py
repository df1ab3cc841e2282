"""/api/v1/alerts: list, read and acknowledge alerts of the token's trust."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select

from pathway import acknowledgement, audit
from schema.db import session_scope
from schema.models import Alert, AlertState, StaffMember
from schema.types import utcnow
from web.api.models import AcknowledgeIn, AcknowledgeOut, AlertOut, alert_out
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
    with session_scope() as session:
        alert = owned(session, Alert, alert_id, client.trust_id, lock=True)
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
        member = members[0]
        result = acknowledgement.acknowledge(session, alert, member, now=utcnow(), via="api")
        audit.record(
            session,
            "api.alert_acknowledged",
            "alert",
            alert.id,
            actor=client.actor,
            trust_id=client.trust_id,
            token_id=client.token_id,
            token_name=client.name,
            on_behalf_of=member.id,
            first=result.first,
        )
        session.flush()
        view = queries.alert_views(session, client.trust_id, [alert])[0]
        return AcknowledgeOut(first=result.first, alert=alert_out(view))
