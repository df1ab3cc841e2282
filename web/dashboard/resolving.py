"""Resolving an alert from the dashboard: the trust's outcome, an optional note, the MRI time.

The form is on the queue's card and on the alert's own page; a refusal shows the reason beside
the field on the page it came from and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pathway import acknowledgement
from pathway.outcomes import OutcomeError, check_resolution
from schema.db import session_scope
from schema.models import Alert, Trust
from schema.trusts import trust_config
from schema.types import utcnow
from web.auth.identity import Viewer, csrf_protected
from web.dashboard.alerts import member_of, queue_page
from web.dashboard.history import alert_page
from web.ids import RowId
from web.scoped import owned

router = APIRouter(include_in_schema=False)

FROM_ALERT_PAGE = "alert"


def local_datetime(text: str, zone: ZoneInfo) -> datetime | None:
    """A browser's datetime-local value ("2026-12-08T14:30"), read in the trust's zone."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise OutcomeError("mri_at", "a date and time such as 2026-12-08 14:30") from None
    if moment.tzinfo is not None:
        raise OutcomeError("mri_at", "a local date and time, without a zone")
    return moment.replace(tzinfo=zone)


@router.post("/alerts/{alert_id}/resolve")
def resolve(
    alert_id: RowId,
    request: Request,
    outcome: str = Form(""),
    outcome_note: str = Form(""),
    mri_at: str = Form(""),
    return_to: str = Form(""),
    viewer: Viewer = Depends(csrf_protected),
) -> Response:
    now = utcnow()
    refused: OutcomeError | None = None
    with session_scope() as session:
        # Looked up first: a foreign id is a 404 whatever the form says.
        alert = owned(session, Alert, alert_id, viewer.trust_id, lock=True)
        trust = session.get(Trust, viewer.trust_id)
        assert trust is not None
        config = trust_config(trust)
        try:
            resolution = check_resolution(
                config,
                outcome=outcome[:100],
                note=outcome_note[:5000],
                mri_at=local_datetime(mri_at[:40], config.zone),
                reply_at=acknowledgement.reply_time(session, alert),
                now=now,
            )
        except OutcomeError as error:
            refused = error
        else:
            acknowledgement.resolve(session, alert, member_of(session, viewer), resolution, now=now)
        code = alert.code
    back = return_to == FROM_ALERT_PAGE
    if refused is not None:
        errors: dict[int, object] = {alert_id: refused}
        if back:
            return alert_page(request, viewer, alert_id, errors=errors, status=422)
        return queue_page(request, viewer, errors=errors, status=422)
    target = f"/alerts/{alert_id}" if back else "/"
    return RedirectResponse(f"{target}?done=resolved&ref={code}", status_code=303)
