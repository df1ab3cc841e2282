"""`POST /twilio/status`: delivery receipts for the SMS we sent, stored first like replies (in
the database, or in the spool when the database cannot take them: web/intake.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query, Request, Response

from pathway.receipts import ReceiptOutcome
from web.ids import MAX_ROW_ID
from web.intake import intake_of
from web.stored_requests import RECEIPT
from worker.providers.twilio.webhook import parse_receipt, verified_form

router = APIRouter()


@router.post("/twilio/status", include_in_schema=False)
async def delivery_receipt(
    request: Request, m: int | None = Query(default=None, ge=0, le=MAX_ROW_ID)
) -> Response:
    receipt = parse_receipt(await verified_form(request))
    fields = {
        "m": m,
        "sid": receipt.sid,
        "status": receipt.status,
        "error_code": receipt.error_code,
    }
    accepted = await intake_of(request.app).accept(RECEIPT, fields)
    if accepted.result == ReceiptOutcome.NOT_FOUND:
        raise HTTPException(404, "no such message")
    if accepted.result == ReceiptOutcome.MISMATCH:
        raise HTTPException(409, "MessageSid is not the message's")
    return Response(status_code=200)
