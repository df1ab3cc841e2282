"""/api/v1/reports/monthly: the monthly audit report of the token's trust, as JSON."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query

from pathway.report import MonthlyReport, monthly_report, parse_month
from schema.db import session_scope
from schema.types import utcnow
from web.auth.identity import ApiClient, api_client

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/monthly", response_model=MonthlyReport)
def monthly(
    month: str = Query(
        description="the trust's calendar month, YYYY-MM", examples=["2026-06"], max_length=20
    ),
    client: ApiClient = Depends(api_client),
) -> MonthlyReport:
    """Alerts raised in the month by level, time to acknowledge (median and 90th percentile),
    escalations beyond step 1, nobody-reachable alerts, outcomes, reply to MRI where recorded,
    and review items by deadline. Times are in seconds; `definitions` says how each is counted."""
    try:
        chosen = parse_month(month)
    except ValueError as error:
        raise HTTPException(
            422, [{"loc": ["query", "month"], "msg": str(error), "type": "value_error"}]
        ) from None
    with session_scope() as session:
        return monthly_report(session, client.trust_id, chosen, now=utcnow())
